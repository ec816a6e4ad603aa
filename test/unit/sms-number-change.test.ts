// An admin changing or clearing a service's SMS number while SMS chats are open on it: the customers of
// those chats still reach them (the carrier keeps delivering to the number they texted), and the agents'
// replies still go out from it; only new conversations to a number no service has are refused.
import t from 'tap';
import { expectDomainError } from '../helpers/fakes.ts';
import { acceptedBy, delivered, makeDesk, newPhone, ROADSIDE_NO } from '../helpers/sms-desk.ts';

t.test("an SMS number an admin takes from its service still reaches the chats open on it; a new conversation there is refused", async (t) => {
  const h = await makeDesk();
  const from = newPhone();
  const open = await delivered(h, h.text(from, 'before the change'));
  await acceptedBy(h, 'alice', open);
  delete h.numbers[ROADSIDE_NO]; // the admin clears Roadside's SMS number
  t.equal(await delivered(h, h.text(from, 'after the change')), open, "the customer's next text reaches the open chat");
  t.same(await h.customerTexts(open), ['before the change', 'after the change']);
  await h.center.postAgentMessage('alice', open, 'Got it');
  await h.desk.settled();
  t.match(h.sender.sent.at(-1), { from: ROADSIDE_NO, to: from }, 'the reply goes out from the number the customer texted');
  await expectDomainError(t, h.desk.receive(h.text(newPhone(), 'someone new')), 'not_found', 'unknown_number');
});
