// The Store page: the shopping cart of workflow steps 7-8.
import { boot, h, log } from './shell.js';
import { account } from './account.js';

/** @type {HTMLElement | null} */
let acct = null;

const money = (cents) => `$${(cents / 100).toFixed(2)}`;

/** Renders the cart from GET /api/load-shopping-cart; false on 401. */
async function load(client, el) {
  const res = await client.fetch('/api/load-shopping-cart');
  if (res.status === 401) return false;
  if (!res.ok) throw new Error(`cart: status ${res.status}`);
  const cart = await res.json();
  const change = async (method, url, body) => {
    const r = await client.fetch(url, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
    if (r.status === 401) log('error', 'The Store refused the token');
    await load(client, el);
  };
  const total = cart.items.reduce((s, it) => s + it.priceCents, 0);
  // The account section survives the cart's reloads (every JWT refresh
  // re-renders the cart), so an enrolment in progress is not wiped.
  const sub = client.claims()?.sub;
  if (!acct || acct.dataset.sub !== sub) {
    acct = h('section', { id: 'account', 'data-sub': sub ?? '' });
    account(client, acct).catch((e) => log('error', `Account: ${e.message ?? e}`));
  }
  el.replaceChildren(
    h('h2', {}, 'Your shopping cart'),
    h('p', { id: 'cart-status' }, `Cart loaded at ${new Date().toLocaleTimeString([], { hour12: false })}: ${cart.items.length} item(s), ${money(total)}`),
    h('ul', { id: 'cart', class: 'items' }, cart.items.map((it) =>
      h('li', { 'data-sku': it.sku }, `${it.name} — ${money(it.priceCents)} `,
        h('button', { type: 'button', class: 'small', onclick: () => change('DELETE', `/api/cart/items/${it.id}`) }, 'Remove')))),
    h('h3', {}, 'Add to cart'),
    h('ul', { class: 'catalog' }, cart.catalog.map((p) =>
      h('li', {}, h('button', { type: 'button', 'data-add': p.sku, onclick: () => change('POST', '/api/cart/items', { sku: p.sku }) }, `+ ${p.name} (${money(p.priceCents)})`)))),
    acct,
  );
  return true;
}

boot({ load });
