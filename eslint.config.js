// The shop's JavaScript lint (`make lint`): plain ES modules in the browser, no build step.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/**", "staticfiles/**", ".venv/**", "test-results/**"] },
  js.configs.recommended,
  {
    files: ["frontend/static/frontend/js/**/*.js"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: globals.browser },
    rules: {
      eqeqeq: ["error", "always"],
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_" }],
      "no-var": "error",
      "prefer-const": "error",
      "no-implicit-globals": "error",
      "no-shadow": "error",
      "no-console": ["error", { allow: ["error"] }],
    },
  },
];
