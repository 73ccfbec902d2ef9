import type { ResendAiRequest } from '#itniotech';

/**
 * The task settings of the provider's own example request (docs/provider.md): every field of a
 * valid `campaign.resend.requested` value except the identifiers (requestId, correlationId,
 * keyId, taskName). Shared by the sample publisher, the benchmark and the tests.
 */
export type ExampleTaskSettings = Required<Omit<ResendAiRequest, 'keyId' | 'taskName' | 'calloutRate'>>;

export const EXAMPLE_TASK_SETTINGS: ExampleTaskSettings = {
  maxCalls: 40,
  displayNum: '1008122211',
  sendTime: null,
  resendType: 1,
  scriptId: 1,
  maxRingingTime: 60,
  enableRecording: 1,
  allowSendTime: [{ strTime: '10:00', endTime: '22:00' }],
};
