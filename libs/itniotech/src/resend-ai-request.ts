/** One window of the day in which calls may be placed, `HH:mm` to `HH:mm`. */
export interface AllowSendWindow {
  strTime: string;
  endTime: string;
}

/**
 * The JSON body of `POST /voice/group/call/resend/ai`, field names as the provider spells them.
 * Optional fields that the caller did not give are absent (not null), so the provider applies
 * its own defaults; `sendTime: null` explicitly means "now".
 */
export interface ResendAiRequest {
  keyId: number;
  taskName: string;
  resendType: 0 | 1;
  scriptId: number;
  displayNum?: string;
  sendTime?: string | null;
  maxCalls?: number;
  allowSendTime?: AllowSendWindow[];
  maxRingingTime?: number;
  enableRecording?: 0 | 1;
  calloutRate?: number;
}
