import { describe, expect, it } from 'vitest';
import { parseProviderEnvelope, readProviderId } from './provider-envelope.js';

describe('parseProviderEnvelope', () => {
  it.each([
    ['documented form', '{"status":"0","reason":"success","data":123123}', { status: '0', reason: 'success', data: 123123 }],
    [
      'numeric status',
      '{"status":-41,"reason":"Task name already exists"}',
      { status: '-41', reason: 'Task name already exists', data: undefined },
    ],
    ['code and msg', '{"code":0,"msg":"ok","data":{"a":1}}', { status: '0', reason: 'ok', data: { a: 1 } }],
    ['code as string', '{"code":"-22","msg":"Parameter exception"}', { status: '-22', reason: 'Parameter exception', data: undefined }],
    ['status with msg', '{"status":"-1","msg":"Authentication error"}', { status: '-1', reason: 'Authentication error', data: undefined }],
    ['no reason at all', '{"status":"-18"}', { status: '-18', reason: '', data: undefined }],
    ['padded code kept as given', '{"status":" -16 "}', { status: '-16', reason: '', data: undefined }],
    ['status wins over code', '{"status":"-37","code":0}', { status: '-37', reason: '', data: undefined }],
    ['unusable status falls back to code', '{"status":"fail","code":"-2"}', { status: '-2', reason: '', data: undefined }],
  ])('reads the %s', (_name, body, expected) => {
    expect(parseProviderEnvelope(body)).toEqual(expected);
  });

  it.each([
    ['empty body', ''],
    ['HTML', '<html><body>Bad Gateway</body></html>'],
    ['truncated JSON', '{"status":"0","rea'],
    ['JSON array', '[{"status":"0"}]'],
    ['JSON string', '"0"'],
    ['null', 'null'],
    ['no status or code', '{"reason":"success","data":1}'],
    ['fractional status', '{"status":1.5}'],
    ['boolean status', '{"status":true}'],
    ['non-numeric status', '{"status":"success"}'],
  ])('rejects a %s', (_name, body) => {
    expect(parseProviderEnvelope(body)).toBeUndefined();
  });
});

describe('readProviderId', () => {
  it.each([
    [123123, 123123],
    ['100001', 100001],
    [' 42 ', 42],
    [-5, -5],
  ])('reads %j', (input, expected) => {
    expect(readProviderId(input)).toBe(expected);
  });

  it.each([[null], [undefined], [1.5], ['12a'], [''], [{}], ['99999999999999999999']])('refuses %j', (input) => {
    expect(readProviderId(input)).toBeUndefined();
  });
});
