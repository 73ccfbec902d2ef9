import { context, diag, DiagLogLevel, propagation, trace, type DiagLogger } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TracingSettings } from './tracing-settings.js';

/** The running tracing SDK, or nothing (tracing off). */
export interface Tracing {
  readonly enabled: boolean;
  /** Exports the spans still buffered, then stops; the API is a no-op again afterwards. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Instead of the OTLP exporter of the settings (tests: an InMemorySpanExporter). */
  exporter?: SpanExporter;
  /** `simple` exports each span as it ends (tests); `batch` (the default) in the background, in batches (OTEL_BSP_*). */
  processor?: 'batch' | 'simple';
  /** Where the SDK's own warnings go (an export that failed, a dropped span); default: nowhere. */
  warn?: (message: string) => void;
}

const OFF: Tracing = { enabled: false, shutdown: async () => undefined };

/**
 * Registers the OpenTelemetry SDK as the global tracer provider, with the AsyncLocalStorage
 * context manager (spans started inside `context.with` see their parent across awaits, and the
 * log lines written there carry its ids) and the W3C Trace Context propagator. Nothing is
 * registered when tracing is off: the API stays the no-op it is by default.
 *
 * No auto-instrumentation: the service makes its own spans (intake, provider calls, publishing),
 * which fit its batched hot path; instrumenting every pg query and HTTP request would add noise
 * and cost.
 */
export function startTracing(settings: TracingSettings, instanceId: string, options: TracingOptions = {}): Tracing {
  if (!settings.enabled && !options.exporter) return OFF;
  if (options.warn) diag.setLogger(diagLoggerFor(options.warn), DiagLogLevel.WARN);
  const exporter = options.exporter ?? otlpExporter(settings);
  const provider = new NodeTracerProvider({
    resource: defaultResource()
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_INSTANCE_ID]: instanceId }))
      // OTEL_RESOURCE_ATTRIBUTES, and OTEL_SERVICE_NAME over a service.name given there.
      .merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: [options.processor === 'simple' ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  provider.register();
  return {
    enabled: true,
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
        diag.disable();
      }
    },
  };
}

/** OTLP over HTTP; headers, timeout and compression come from OTEL_EXPORTER_OTLP_(TRACES_)* as the exporter reads them. */
function otlpExporter(settings: TracingSettings): SpanExporter {
  return settings.protocol === 'http/json'
    ? new OtlpJsonTraceExporter({ url: settings.endpoint })
    : new OtlpProtobufTraceExporter({ url: settings.endpoint });
}

function diagLoggerFor(warn: (message: string) => void): DiagLogger {
  const write = (message: string, ...args: unknown[]) => warn([message, ...args.map(describe)].join(' '));
  const ignore = () => undefined;
  return { error: write, warn: write, info: ignore, debug: ignore, verbose: ignore };
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
