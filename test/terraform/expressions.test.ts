/** The checker's reference lexer: what a Terraform expression refers to, including inside `for` bodies. */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are Terraform expressions, not JavaScript templates
import { describe, expect, it } from 'vitest';
import { referencesIn } from '../../infra/terraform-check/expressions.ts';

const refs = (text: string) => referencesIn(text).map((r) => r.parts.join('.'));

describe('referencesIn', () => {
  it('follows index and key traversals', () => {
    expect(refs('${module.state_api["stable"].url}')).toEqual(['module.state_api.stable.url']);
    expect(refs('${google_compute_global_address.a[0].address}')).toEqual([
      'google_compute_global_address.a.0.address',
    ]);
  });

  it('finds references inside a for body but not the for symbols', () => {
    expect(refs('${[for name, _ in var.schedules : "${name}${local.suffix}"]}')).toEqual([
      'var.schedules',
      'local.suffix',
    ]);
    expect(refs('${{ for key, m in module.x : key => m.url if var.on }}')).toEqual(['module.x', 'var.on']);
  });

  it('skips function names, object keys, type keywords and string text', () => {
    expect(refs('${merge(local.a, { KEY = var.b })}')).toEqual(['local.a', 'var.b']);
    expect(refs('${object({ min = number, max = number })}')).toEqual([]);
    expect(refs('${can(regex("^a.b_c$", var.x))}')).toEqual(['var.x']);
    expect(refs('https://${var.region}-x.cloudfunctions.net/$${literal}')).toEqual(['var.region']);
  });
});
