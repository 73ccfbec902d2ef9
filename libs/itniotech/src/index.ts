export * from './resend-ai-request.js';
