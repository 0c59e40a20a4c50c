import * as assert from 'assert';
import type { Expr } from '../../server/src/engine/ir';
import { decide, learn, registerTestOf, switchTestOf } from '../../server/src/engine/registerFacts';

const at = { start: 0, end: 0 };
const local = (name: string): Expr => ({ k: 'local', name, display: name, span: at });
const num = (value: number): Expr => ({ k: 'number', value, span: at });
const bin = (left: Expr, op: string, right: Expr): Expr => ({ k: 'binary', op, left, right, span: at });
const not = (of: Expr): Expr => ({ k: 'unary', op: '!', of, span: at });
const textOf = (e: Expr): string | undefined =>
  e.k === 'local' ? e.name : e.k === 'number' ? String(e.value) : e.k === 'binary' ? `(${textOf(e.left)} ${e.op} ${textOf(e.right)})` : undefined;

/** The facts after each condition held (or not), or undefined when one contradicts those before. */
function after(...steps: Array<[Expr, boolean]>): Record<string, boolean> | undefined {
  let facts: Record<string, boolean> = {};
  for (const [cond, truth] of steps) {
    const test = registerTestOf(cond, textOf)!;
    assert.ok(test, 'a register test');
    const holds = truth !== test.negated;
    const known = decide(facts, test);
    if (known !== undefined && known !== holds) return undefined;
    facts = learn(facts, test, holds);
  }
  return facts;
}

/** What the facts say of `cond`: true, false or undefined. */
function verdict(facts: Record<string, boolean>, cond: Expr): boolean | undefined {
  const test = registerTestOf(cond, textOf)!;
  const known = decide(facts, test);
  return known === undefined ? undefined : known !== test.negated;
}

describe('register facts: what one test settles about the next', () => {
  const x = local('x');

  it('a clear bit rules out a masked value that needs it: !(x & 2) then (x & 6) == 2', () => {
    const facts = after([bin(x, '&', num(2)), false])!;
    assert.strictEqual(verdict(facts, bin(bin(x, '&', num(6)), '==', num(2))), false);
    assert.strictEqual(verdict(facts, bin(bin(x, '&', num(6)), '==', num(4))), undefined);
  });

  it('every bit of a mask known settles the masked value', () => {
    const facts = after([bin(x, '&', num(1)), true], [not(bin(x, '&', num(2))), true])!;
    assert.strictEqual(verdict(facts, bin(bin(x, '&', num(3)), '==', num(1))), true);
    assert.strictEqual(verdict(facts, bin(bin(x, '&', num(3)), '!=', num(1))), false);
  });

  it('one value under a mask excludes the others, for switch cases too', () => {
    const facts = after([bin(bin(x, '&', num(3)), '==', num(0)), true])!;
    assert.strictEqual(decide(facts, switchTestOf(bin(x, '&', num(3)), 1, textOf)!), false);
    assert.strictEqual(decide(facts, switchTestOf(bin(x, '&', num(3)), 0, textOf)!), true);
  });

  it('ranges: x > 100 false, then x > 500 cannot hold; x > 50 is still open', () => {
    const facts = after([bin(x, '>', num(100)), false])!;
    assert.strictEqual(verdict(facts, bin(x, '>', num(500))), false);
    assert.strictEqual(verdict(facts, bin(num(500), '<', x)), false);
    assert.strictEqual(verdict(facts, bin(x, '>', num(50))), undefined);
  });

  it('arithmetic over a register keeps its value on the path: x % 3 == 0, then x % 3 == 1', () => {
    const facts = after([bin(bin(x, '%', num(3)), '==', num(0)), true])!;
    assert.strictEqual(verdict(facts, bin(bin(x, '%', num(3)), '==', num(1))), false);
  });

  it('contradictory paths are refused, consistent ones kept', () => {
    assert.strictEqual(after([bin(x, '>', num(10)), true], [bin(x, '<', num(5)), true]), undefined);
    assert.ok(after([bin(x, '>', num(10)), true], [bin(x, '<', num(50)), true]));
  });

  it('a whole-register equality is not concluded from 32 known low bits alone', () => {
    const facts = after([bin(bin(x, '&', num(0xffff)), '==', num(5)), true], [bin(bin(x, '&', num(0xffff0000)), '==', num(0)), true])!;
    assert.strictEqual(verdict(facts, bin(x, '==', num(5))), undefined);
    assert.strictEqual(verdict(facts, bin(x, '==', num(6))), false);
  });
});
