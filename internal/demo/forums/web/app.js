// The Forums page: the user's posts of workflow step 15.
import { boot, h, log } from './shell.js';

/** Renders GET /api/posts and the new-post form; false on 401. */
async function load(client, el) {
  const res = await client.fetch('/api/posts');
  if (res.status === 401) return false;
  if (!res.ok) throw new Error(`posts: status ${res.status}`);
  const { posts } = await res.json();
  const body = h('textarea', { id: 'post-body', rows: '3', maxlength: '2000', placeholder: 'Say something…' });
  const submit = async (ev) => {
    ev.preventDefault();
    const r = await client.fetch('/api/posts', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ body: body.value }),
    });
    if (r.status === 401) log('error', 'The Forums refused the token');
    else if (!r.ok) log('error', (await r.json()).message);
    await load(client, el);
  };
  el.replaceChildren(
    h('h2', {}, 'Your posts'),
    h('p', { id: 'posts-status' }, `Posts loaded at ${new Date().toLocaleTimeString([], { hour12: false })}: ${posts.length} post(s)`),
    h('div', { id: 'posts' }, posts.map((p) =>
      h('div', { class: 'post' }, h('p', {}, p.body), h('small', {}, `${p.author} · ${new Date(p.createdAt).toLocaleString()}`)))),
    h('form', { id: 'post-form', onsubmit: submit }, body, h('button', { type: 'submit' }, 'Post')),
  );
  return true;
}

boot({ load });
