// Money as integer cents (the API sends "99.00" strings): no float ever holds a price here.
// 贝里 arithmetic mirrors pay/pricing.py so the price the page sends is the one the server computes.

export function toCents(amount) {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(amount).trim());
  if (!match) throw new Error(`not an amount: ${amount}`);
  const [, sign, yuan, fraction = ""] = match;
  const cents = Number(yuan) * 100 + Number(fraction.padEnd(2, "0"));
  return sign ? -cents : cents;
}

export function fromCents(cents) {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** What `beili` 贝里 are worth, rounded down (pricing.beili_value). */
export function beiliValueCents(beili, perYuan) {
  return Math.floor((beili * 100) / perYuan);
}

/** The 贝里 that cover `cents` entirely, rounded up to a whole 贝里 (pricing.split_payment). */
export function beiliNeeded(cents, perYuan) {
  return cents <= 0 ? 0 : Math.ceil((cents * perYuan) / 100);
}

/** Spend up to `offered` 贝里 on `payableCents`: {beili actually spent, cents left to pay}. */
export function splitPayment(payableCents, offered, perYuan) {
  if (payableCents <= 0 || offered <= 0) return { beili: 0, cents: Math.max(payableCents, 0) };
  const needed = beiliNeeded(payableCents, perYuan);
  if (offered >= needed) return { beili: needed, cents: 0 };
  return { beili: offered, cents: payableCents - beiliValueCents(offered, perYuan) };
}
