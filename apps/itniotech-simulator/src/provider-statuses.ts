/**
 * What the real provider says for each status, word for word from its documentation
 * (-10 and -15 come from its other pages). The simulator answers with these reasons.
 */
export const DOCUMENTED_REASONS: Readonly<Record<string, string>> = {
  '0': 'success',
  '-1': 'Authentication error',
  '-2': 'Restricted IP access',
  '-10': 'Insufficient balance',
  '-15': 'Frequent requests',
  '-16': 'Timestamp expires',
  '-18': 'Port program unusual',
  '-20': 'Data existing',
  '-21': 'Data validation exception',
  '-22': 'Parameter exception',
  '-23': 'Data caps',
  '-24': 'Data unexisting',
  '-26': 'Getting fee faily',
  '-34': 'There is no callable number when the task was ended last time. Please start the group call task again.',
  '-37': 'The group call task you submitted exceeds the maximum concurrent task limit. Please complete the task before submitting again!',
  '-38': 'Conversion text and language type are required',
  '-39': 'Failed to obtain the text language type',
  '-41': 'Task name already exists',
  '-42': 'Recall is allowed only when the task is canceled or completed',
  '-60': 'The AI speech template does not exist',
};

/** The JSON body of every provider answer, errors included (those come with HTTP 200). */
export interface ProviderAnswer {
  status: string;
  reason: string;
  data?: unknown;
}

export function success(data: unknown): ProviderAnswer {
  return { status: '0', reason: DOCUMENTED_REASONS['0']!, data };
}

/** An error answer with the documented reason unless another is given. */
export function failure(status: string, reason?: string): ProviderAnswer {
  return { status, reason: reason ?? DOCUMENTED_REASONS[status] ?? 'error' };
}
