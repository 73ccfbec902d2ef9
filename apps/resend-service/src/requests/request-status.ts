/**
 * The life of a request (resend_request.status):
 * pending     recorded, waiting for its (next) provider call
 * in_progress claimed by a worker under a lease
 * completed   the provider created the task (provider_task_id)
 * failed      final failure; a new request for the same keyId is allowed
 * duplicate   a repeat of a live or completed request with the same payload; never sent
 */
export type RequestStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'duplicate';
