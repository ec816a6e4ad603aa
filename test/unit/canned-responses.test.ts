import t from 'tap';
import { checkCannedResponses, fillPlaceholders, linesOf } from '../../src/domain/canned-responses.ts';

t.test('placeholders are filled for the chat at hand; other braces stay as typed', async (t) => {
  const values = { customerName: 'Maria <b>', agentName: 'Agent One' };
  t.equal(fillPlaceholders('Hi {customer_name}, {agent_name} here. {customer_name}?', values), 'Hi Maria <b>, Agent One here. Maria <b>?');
  t.equal(fillPlaceholders('{unknown} {customer_name', values), '{unknown} {customer_name', 'only the two known placeholders');
});

t.test('one response per line: trimmed, blanks and repeats dropped; too many or too long refused', async (t) => {
  t.same(linesOf(' a \r\n\n b\n'), ['a', 'b']);
  t.same(checkCannedResponses('Hello\nHello\nBye'), ['Hello', 'Bye']);
  t.match(checkCannedResponses(Array.from({ length: 51 }, (_, i) => `r${i}`).join('\n')), /at most 50/);
  t.match(checkCannedResponses('x'.repeat(8001)), /limited to 8000/);
});
