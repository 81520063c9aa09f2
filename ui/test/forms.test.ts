import { describe, expect, it } from 'vitest';
import { byField, splitList } from '../src/lib/forms';

describe('splitList', () => {
  it.each([
    ['a, b ,,c', ['a', 'b', 'c']],
    ['10.20.0.0/16 10.30.0.0/16', ['10.20.0.0/16', '10.30.0.0/16']],
    ['', []],
    [' , ', []],
  ])('%j', (text, list) => {
    expect(splitList(text)).toEqual(list);
  });
});

describe('byField', () => {
  it('groups indexed and nested errors under their input, keeping the position', () => {
    expect(byField({
      'prefixes[0]': ["'x' is not a prefix"],
      'prefixes[2]': ["'y' is not a prefix"],
      'backup_path_ids[0]': ["path 'p' is not defined"],
      name: ['is taken'],
      'bfd.auth.secret': ['is too short'],
    })).toEqual({
      prefixes: ["item 1: 'x' is not a prefix", "item 3: 'y' is not a prefix"],
      backup_path_ids: ["item 1: path 'p' is not defined"],
      name: ['is taken'],
      bfd: ['is too short'],
    });
  });
});
