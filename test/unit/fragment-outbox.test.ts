import t from 'tap';
import { FragmentOutbox, type EntryGroup } from '../../src/web/desktop/fragment-outbox.ts';

// A stand-in for the entries template: each entry's `text` in a <li>, each group wrapped for its panel.
function renderGroups(groups: EntryGroup[]): string {
  return groups
    .map((g) => {
      const items = g.entries.map((e) => {
        const text = (e as { text: string }).text;
        if (text === 'bad') throw new Error('template failed');
        return `<li>${text}</li>`;
      });
      return `<div id="${g.appendTo}">${items.join('')}</div>`;
    })
    .join('');
}

function outboxUnderTest() {
  const frames: string[] = [];
  const errors: unknown[] = [];
  const outbox = new FragmentOutbox({ renderGroups, write: (frame) => frames.push(frame), onError: (err) => errors.push(err) });
  return { outbox, frames, errors };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

t.test('fragments of one turn leave as one frame, entry groups rendered in place', async (t) => {
  const { outbox, frames } = outboxUnderTest();
  outbox.push('<ul id="list"></ul>');
  outbox.push({ appendTo: 'chat-1', entries: [{ text: 'one' }] });
  outbox.push({ appendTo: 'chat-2', entries: [{ text: 'two' }] });
  outbox.push('<span id="status"></span>');
  await nextTurn();
  t.same(frames, ['<ul id="list"></ul><div id="chat-1"><li>one</li></div><div id="chat-2"><li>two</li></div><span id="status"></span>']);
});

t.test('a message shown at once does not overtake one that waits for a lookup', async (t) => {
  const { outbox, frames } = outboxUnderTest();
  const lookup = deferred<string>();
  outbox.push(lookup.promise); // the first message of a chat, whose agent's name is not known yet
  outbox.push({ appendTo: 'chat-1', entries: [{ text: 'second' }] });
  await nextTurn();
  await nextTurn();
  t.same(frames, [], 'nothing leaves while the first waits');
  lookup.resolve('<div id="chat-1"><li>first</li></div>');
  await nextTurn();
  await nextTurn();
  t.equal(frames.join(''), '<div id="chat-1"><li>first</li></div><div id="chat-1"><li>second</li></div>', 'first, then second');
  outbox.push({ appendTo: 'chat-1', entries: [{ text: 'third' }] });
  await nextTurn();
  t.match(frames.at(-1), /third/, 'once the line is empty, fragments go out at once again');
});

t.test('a failed lookup is reported and does not hold back what follows', async (t) => {
  const { outbox, frames, errors } = outboxUnderTest();
  const lookup = deferred<string>();
  outbox.push(lookup.promise);
  outbox.push('<p>after</p>');
  lookup.reject(new Error('agent name lookup failed'));
  await nextTurn();
  await nextTurn();
  t.same(frames, ['<p>after</p>']);
  t.equal(errors.length, 1);
});

t.test('an entry that fails to render costs only its own group, not the frame', async (t) => {
  const { outbox, frames, errors } = outboxUnderTest();
  outbox.push('<p>list</p>');
  outbox.push({ appendTo: 'chat-1', entries: [{ text: 'fine' }] });
  outbox.push({ appendTo: 'chat-2', entries: [{ text: 'bad' }] });
  outbox.push({ appendTo: 'chat-3', entries: [{ text: 'also fine' }] });
  await nextTurn();
  t.same(frames, ['<p>list</p><div id="chat-1"><li>fine</li></div><div id="chat-3"><li>also fine</li></div>']);
  t.equal(errors.length, 1, 'the failure is reported once');
});
