"""The shop's one way of drawing (frontend/static/frontend/js/dom.js): `morph` updates the elements
that are still there instead of replacing them, so the focus and typed text survive a redraw."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs in the browser with dom.js imported as `dom`; answers what the test asserts on.
SCRIPT = """async (body) => {
  const dom = await import("/static/frontend/js/dom.js");
  const { h, morph } = dom;
  const root = document.createElement("div");
  document.body.append(root);
  return new Function("h", "morph", "root", body)(h, morph, root);
}"""


@pytest.fixture
def dom_js(page):
    page.goto("/static/frontend/app.css")  # a page of the live server: imports need its origin
    return lambda body: page.evaluate(SCRIPT, body)


def test_keyed_children_are_kept_moved_and_removed_not_rebuilt(dom_js):
    assert dom_js(
        """
        const row = (k) => h("li", { key: k }, `row ${k}`);
        morph(root, [h("ul", {}, row(1), row(2), row(3))]);
        const [one, two, three] = root.querySelectorAll("li");
        morph(root, [h("ul", {}, row(3), row(1), row(4))]);
        const now = [...root.querySelectorAll("li")];
        return [now.map((li) => li.textContent), now[0] === three, now[1] === one,
                two.isConnected, now[2].dataset.key];
        """
    ) == [["row 3", "row 1", "row 4"], True, True, False, "4"]


def test_the_focused_input_keeps_the_focus_and_its_text_while_the_rest_changes(dom_js):
    assert dom_js(
        """
        const draw = (n) => [h("p", {}, `n = ${n}`), h("input", { key: "q", "aria-label": "q" })];
        morph(root, draw(1));
        const input = root.querySelector("input");
        input.focus();
        input.value = "typed";
        morph(root, draw(2));
        return [document.activeElement === input, input.value, root.querySelector("p").textContent];
        """
    ) == [True, "typed", "n = 2"]


def test_attributes_properties_and_handlers_follow_the_new_drawing(dom_js):
    assert dom_js(
        """
        const seen = [];
        const draw = (checked, label, cls) => [h("input", {
          type: "radio", checked, class: cls, onchange: () => seen.push(label) })];
        morph(root, draw(true, "first", "a"));
        const radio = root.querySelector("input");
        morph(root, draw(false, "second", null));
        radio.dispatchEvent(new Event("change"));
        return [root.querySelector("input") === radio, radio.checked, radio.hasAttribute("class"), seen];
        """
    ) == [True, False, False, ["second"]]


def test_an_element_of_another_tag_at_the_same_place_is_replaced(dom_js):
    assert dom_js(
        """
        morph(root, [h("p", {}, "text"), "tail"]);
        const p = root.firstChild;
        morph(root, [h("div", {}, "box"), "tail changed"]);
        return [root.firstChild === p, root.firstChild.tagName, root.lastChild.nodeValue,
                root.childNodes.length];
        """
    ) == [False, "DIV", "tail changed", 2]
