import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import type { ITriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { environmentSchema, type Environment } from '../../apps/resend-service/src/config/environment.schema.js';
import { SECRET_VARIABLES } from '../../apps/resend-service/src/config/secret-files.js';
import { HealthController } from '../../apps/resend-service/src/health/health.controller.js';
import { MetricsController } from '../../apps/resend-service/src/metrics/metrics.controller.js';
import {
  allContainers,
  bytesOf,
  fileExists,
  findManifest,
  getRoutes,
  manifestFiles,
  readKustomization,
  readManifests,
  sourceOfCommand,
  validateAgainstSchema,
  type Manifest,
} from './manifests.js';

/**
 * deploy/kubernetes/: every manifest against the pinned schema of its kind, and against the code
 * it deploys — the variables the service reads, the routes it serves, the port it listens on, its
 * bounded shutdown, the image's heap limit, the topic's partitions.
 */
const manifests = readManifests();
const deployment = findManifest<IDeployment>(manifests, 'Deployment');
const job = findManifest<IJob>(manifests, 'Job');
const servicePod = deployment.spec!.template.spec!;
const serviceContainer = servicePod.containers[0]!;
const migrationPod = job.spec!.template.spec!;
const routes = getRoutes([HealthController, MetricsController]);
const routeOf = (handler: string) => [...routes].find(([, name]) => name === handler)?.[0];

/** A value the schema accepts for any secret (OPERATOR_API_TOKENS wants 16 printable characters). */
const SECRET_PLACEHOLDER = 'placeholder-secret-value';
const FILE_VARIABLES = new Map<string, string>(SECRET_VARIABLES.map((name) => [`${name}_FILE`, name]));
const SCHEMA_VARIABLES = Object.keys(environmentSchema.shape);

interface ContainerEnvironment {
  /** Every variable set, by name: its literal value, or the placeholder for one from a Secret. */
  variables: Map<string, string>;
}

function environmentOf(container: IContainer): ContainerEnvironment {
  const variables = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const referenced = findManifest<IConfigMap>(manifests, 'ConfigMap', source.configMapRef?.name);
    for (const [name, value] of Object.entries(referenced.data ?? {})) variables.set(name, value);
  }
  for (const variable of container.env ?? []) variables.set(variable.name, variable.value ?? SECRET_PLACEHOLDER);
  return { variables };
}

/** What the service's start-up would make of the environment, with each secret file read as the placeholder. */
function parsedEnvironment(container: IContainer, schema: typeof environmentSchema | ReturnType<typeof databaseOnlySchema>) {
  const source: Record<string, string> = {};
  for (const [name, value] of environmentOf(container).variables) {
    const secret = FILE_VARIABLES.get(name);
    if (secret) source[secret] = SECRET_PLACEHOLDER;
    else source[name] = value;
  }
  return schema.safeParse(source);
}

/** The variables scripts/migrate.ts and scripts/wait-for-schema.ts read (loadDatabaseConfig). */
function databaseOnlySchema() {
  const mask: { [K in keyof Environment]?: true } = Object.fromEntries(
    SCHEMA_VARIABLES.filter((name) => name.startsWith('DATABASE_')).map((name) => [name, true]),
  );
  return environmentSchema.pick(mask);
}

/**
 * The service container's settings as the service would see them. Should they not pass, the
 * start-up validation test below fails naming the variable; the others go on with the defaults.
 */
const serviceEnvironment: Environment =
  parsedEnvironment(serviceContainer, environmentSchema).data ??
  environmentSchema.parse({ ITNIOTECH_API_KEY: SECRET_PLACEHOLDER, ITNIOTECH_API_SECRET: SECRET_PLACEHOLDER });

/** The mount path and file name a `*_FILE` variable's value points at, as a Secret volume item, or null. */
function secretFileBehind(pod: IPodSpec, container: IContainer, path: string): { secret: string; key: string } | null {
  for (const mount of container.volumeMounts ?? []) {
    if (!path.startsWith(`${mount.mountPath}/`)) continue;
    const volume = pod.volumes?.find((candidate) => candidate.name === mount.name);
    const item = volume?.secret?.items?.find((candidate) => `${mount.mountPath}/${candidate.path}` === path);
    if (volume?.secret && item) return { secret: volume.secret.secretName!, key: item.key };
  }
  return null;
}

function podLabels(pod: { metadata?: { labels?: Record<string, string> } }): Record<string, string> {
  return pod.metadata?.labels ?? {};
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return (
    selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value)
  );
}

function egressPorts(policy: INetworkPolicy): number[] {
  const ports = (policy.spec?.egress ?? []).flatMap((rule) => (rule.ports ?? []).map((port) => Number(port.port)));
  return [...new Set(ports)].sort((a, b) => a - b);
}

/** KEDA's names of the service's KAFKA_SASL_MECHANISM values. */
const KEDA_SASL_MODES: Record<NonNullable<Environment['KAFKA_SASL_MECHANISM']>, string> = {
  plain: 'plaintext',
  'scram-sha-256': 'scram_sha256',
  'scram-sha-512': 'scram_sha512',
};

function portOf(url: string, fallback: number): number {
  const port = new URL(url).port;
  return port === '' ? fallback : Number(port);
}

describe('deploy/kubernetes: the kustomization', () => {
  it('lists every manifest of the folder, and only files that exist', () => {
    const listed = readKustomization().resources;
    expect(listed.filter((file) => !fileExists(file))).toEqual([]);
    expect([...listed].sort()).toEqual(manifestFiles());
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('sets the image that every container runs', () => {
    const images = (readKustomization().images ?? []).map((image) => image.name);
    const used = [...allContainers(servicePod), ...allContainers(migrationPod)].map((container) => container.image);
    expect(used.filter((image) => !images.includes(image!))).toEqual([]);
  });
});

describe('deploy/kubernetes: schemas', () => {
  it.each(manifests.map((manifest) => [`${manifest.file}: ${manifest.kind} ${manifest.metadata?.name}`, manifest] as const))(
    '%s is valid against its pinned schema',
    (_name, manifest: Manifest) => {
      expect(() => validateAgainstSchema(manifest)).not.toThrow();
    },
  );
});

describe('deploy/kubernetes: environment variables', () => {
  const containers = [...allContainers(servicePod), ...allContainers(migrationPod)];

  it.each(containers.map((container) => [container.name, container] as const))(
    '%s sets only variables the service reads (environment.schema.ts, or <secret>_FILE)',
    (_name, container) => {
      const unknown = [...environmentOf(container).variables.keys()].filter(
        (name) => !SCHEMA_VARIABLES.includes(name) && !FILE_VARIABLES.has(name),
      );
      expect(unknown).toEqual([]);
    },
  );

  it.each(containers.map((container) => [container.name, container] as const))(
    '%s: each *_FILE variable points at a file of a mounted Secret',
    (_name, container) => {
      const pod = allContainers(servicePod).includes(container) ? servicePod : migrationPod;
      const files = [...environmentOf(container).variables].filter(([name]) => name.endsWith('_FILE'));
      expect(files.length).toBeGreaterThan(0);
      expect(files.filter(([, path]) => secretFileBehind(pod, container, path) === null).map(([name]) => name)).toEqual([]);
    },
  );

  it('the service container passes the service start-up validation, with every secret from a file', () => {
    const variables = environmentOf(serviceContainer).variables;
    expect(parsedEnvironment(serviceContainer, environmentSchema).error?.issues ?? []).toEqual([]);
    // Secrets only as files (ITNIOTECH_API_KEY has no _FILE variable: from a Secret through the environment).
    expect(SECRET_VARIABLES.filter((name) => variables.has(name))).toEqual([]);
    expect(serviceContainer.env?.find((variable) => variable.name === 'ITNIOTECH_API_KEY')?.valueFrom?.secretKeyRef).toBeDefined();
  });

  it.each([...(servicePod.initContainers ?? []), ...migrationPod.containers].map((container) => [container.name, container] as const))(
    '%s passes the database settings validation of the scripts',
    (_name, container) => {
      expect(parsedEnvironment(container, databaseOnlySchema()).error?.issues ?? []).toEqual([]);
    },
  );
});

describe('deploy/kubernetes: the service pods', () => {
  const port = serviceContainer.ports?.find((candidate) => candidate.name === 'http');

  it('listens where the probes, the Service and Prometheus knock: HTTP_PORT on all interfaces', () => {
    expect(port?.containerPort).toBe(serviceEnvironment.HTTP_PORT);
    expect(['0.0.0.0', '::']).toContain(serviceEnvironment.HTTP_HOST);
  });

  it('probes the routes the health controller serves: liveness and start-up /health/live, readiness /health', () => {
    const probes = {
      startup: serviceContainer.startupProbe,
      liveness: serviceContainer.livenessProbe,
      readiness: serviceContainer.readinessProbe,
    };
    for (const [kind, probe] of Object.entries(probes)) {
      expect(routes.has(probe?.httpGet?.path ?? ''), `${kind} probe path ${probe?.httpGet?.path} is not served`).toBe(true);
      expect([port?.name, port?.containerPort], `${kind} probe port`).toContain(probe?.httpGet?.port);
    }
    expect(probes.liveness?.httpGet?.path).toBe(routeOf('HealthController.liveness'));
    expect(probes.startup?.httpGet?.path).toBe(routeOf('HealthController.liveness'));
    expect(probes.readiness?.httpGet?.path).toBe(routeOf('HealthController.readiness'));
  });

  it('gives the bounded shutdown its time: SHUTDOWN_GRACE_MS + final commit 5 s + leaving the group 2 s + relay flush 5 s', () => {
    // The three fixed bounds are docs/guarantees.md's ("Shutdown"), checked by shutdown.e2e-spec.ts.
    const boundedShutdownSeconds = serviceEnvironment.SHUTDOWN_GRACE_MS / 1000 + 5 + 2 + 5;
    expect(servicePod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(boundedShutdownSeconds);
  });

  it('runs as a non-root user, read-only, without capabilities, under the runtime default seccomp profile', () => {
    for (const pod of [servicePod, migrationPod]) {
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const container of allContainers(pod)) {
        expect(container.securityContext, container.name).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.resources?.requests, container.name).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
        expect(container.resources?.limits, container.name).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
      }
    }
  });

  it("has a memory limit above the image's heap limit plus 200 MB outside the heap (docs/operations.md, Memory)", () => {
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
    const heapLimitMb = Number(/--max-old-space-size=(\d+)/.exec(dockerfile)?.[1]);
    expect(heapLimitMb).toBeGreaterThan(0);
    expect(bytesOf(serviceContainer.resources!.limits!.memory!)).toBeGreaterThanOrEqual((heapLimitMb + 200) * 2 ** 20);
  });

  it("runs the image's own command; the migration and the schema wait run scripts the build compiles", () => {
    expect(serviceContainer.command).toBeUndefined();
    const commands = [...(servicePod.initContainers ?? []), ...migrationPod.containers].map((container) => container.command ?? []);
    expect(commands.map(sourceOfCommand).sort()).toEqual(['scripts/migrate.ts', 'scripts/wait-for-schema.ts']);
    for (const source of commands.map(sourceOfCommand)) expect(fileExists(`../../${source}`), source).toBe(true);
  });

  it('never migrate: the Job does, and the init container waits for it', () => {
    expect(serviceEnvironment.DATABASE_MIGRATIONS_RUN).toBe(false);
    expect(servicePod.initContainers?.map((container) => sourceOfCommand(container.command ?? []))).toEqual(['scripts/wait-for-schema.ts']);
  });

  it('leave the replica count to the ScaledObject', () => {
    expect(deployment.spec?.replicas).toBeUndefined();
    expect(deployment.spec?.strategy?.rollingUpdate).toMatchObject({ maxUnavailable: 0 });
  });
});

describe('deploy/kubernetes: Service, ServiceMonitor, PodDisruptionBudget', () => {
  const labels = podLabels(deployment.spec!.template);
  const service = findManifest<IService>(manifests, 'Service');
  const monitor = findManifest<IServiceMonitor>(manifests, 'ServiceMonitor');

  it('select the service pods', () => {
    expect(selects(deployment.spec?.selector.matchLabels, labels)).toBe(true);
    expect(selects(service.spec?.selector, labels)).toBe(true);
    expect(selects(findManifest<IPodDisruptionBudget>(manifests, 'PodDisruptionBudget').spec?.selector?.matchLabels, labels)).toBe(true);
    expect(selects(monitor.spec.selector.matchLabels, service.metadata?.labels ?? {})).toBe(true);
    expect(selects(deployment.spec?.selector.matchLabels, podLabels(job.spec!.template))).toBe(false);
  });

  it('the Service forwards to the HTTP port, and Prometheus scrapes the route the metrics controller serves', () => {
    const servicePort = service.spec?.ports?.find((port) => port.targetPort === 'http');
    expect(servicePort).toBeDefined();
    expect(monitor.spec.endpoints?.map((endpoint) => [endpoint.port, endpoint.path])).toEqual([
      [servicePort!.name, routeOf('MetricsController.scrape')],
    ]);
  });
});

describe('deploy/kubernetes: KEDA', () => {
  const scaledObject = findManifest<IScaledObject>(manifests, 'ScaledObject');
  const trigger = scaledObject.spec?.triggers[0];

  it("scales the Deployment on the lag of the service's own group and topic, up to the topic's partitions", () => {
    expect(scaledObject.spec?.scaleTargetRef.name).toBe(deployment.metadata?.name);
    expect(scaledObject.spec?.triggers).toHaveLength(1);
    expect(trigger?.type).toBe('kafka');
    expect(trigger?.metadata).toMatchObject({
      bootstrapServers: serviceEnvironment.KAFKA_BROKERS.join(','),
      consumerGroup: serviceEnvironment.KAFKA_GROUP_ID,
      topic: serviceEnvironment.KAFKA_TOPIC_REQUESTED,
    });
    expect(scaledObject.spec?.maxReplicaCount).toBe(serviceEnvironment.KAFKA_TOPIC_PARTITIONS);
    expect(scaledObject.spec?.minReplicaCount).toBeGreaterThanOrEqual(1);
  });

  it('connects to Kafka as the service does: the same SASL mechanism, TLS, user, password and CA', () => {
    const mechanism = serviceEnvironment.KAFKA_SASL_MECHANISM;
    expect(trigger?.metadata.sasl).toBe(mechanism && KEDA_SASL_MODES[mechanism]);
    expect(trigger?.metadata.tls).toBe(serviceEnvironment.KAFKA_SSL ? 'enable' : undefined);
    const authentication = findManifest<ITriggerAuthentication>(manifests, 'TriggerAuthentication', trigger?.authenticationRef?.name);
    const bySecret = new Map((authentication.spec.secretTargetRef ?? []).map((ref) => [ref.parameter, { secret: ref.name, key: ref.key }]));
    const fileOf = (variable: string) =>
      secretFileBehind(servicePod, serviceContainer, environmentOf(serviceContainer).variables.get(variable) ?? '');
    expect(bySecret.get('password')).toEqual(fileOf('KAFKA_SASL_PASSWORD_FILE'));
    expect(bySecret.get('ca')).toEqual(fileOf('KAFKA_SSL_CA_FILE'));
    const username = authentication.spec.configMapTargetRef?.find((ref) => ref.parameter === 'username');
    expect(findManifest<IConfigMap>(manifests, 'ConfigMap', username?.name).data?.[username!.key]).toBe(
      serviceEnvironment.KAFKA_SASL_USERNAME,
    );
  });
});

describe('deploy/kubernetes: NetworkPolicy', () => {
  const policies = manifests.filter((manifest) => manifest.kind === 'NetworkPolicy') as (INetworkPolicy & Manifest)[];
  const policyFor = (labels: Record<string, string>) => policies.filter((policy) => selects(policy.spec?.podSelector?.matchLabels, labels));
  const kafkaPorts = serviceEnvironment.KAFKA_BROKERS.map((broker) => Number(broker.split(':')[1]));
  const postgresPort = portOf(serviceEnvironment.DATABASE_URL, 5432);
  const providerPort = serviceEnvironment.HTTPS_PROXY
    ? portOf(serviceEnvironment.HTTPS_PROXY, 80)
    : portOf(serviceEnvironment.ITNIOTECH_BASE_URL, 443);

  it('the service pods reach DNS, the brokers, PostgreSQL and the provider (or its proxy), and nothing else', () => {
    const [policy, ...others] = policyFor(podLabels(deployment.spec!.template));
    expect(others).toEqual([]);
    expect(policy?.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    const expected = [...new Set([53, ...kafkaPorts, postgresPort, providerPort])].sort((a, b) => a - b);
    expect(egressPorts(policy!)).toEqual(expected);
  });

  it('the service pods take connections on the HTTP port only', () => {
    const [policy] = policyFor(podLabels(deployment.spec!.template));
    const ports = (policy?.spec?.ingress ?? []).flatMap((rule) => (rule.ports ?? []).map((port) => port.port));
    expect(ports).toEqual([serviceEnvironment.HTTP_PORT]);
  });

  it('the migration pod reaches DNS and PostgreSQL only, and takes no connection', () => {
    const [policy, ...others] = policyFor(podLabels(job.spec!.template));
    expect(others).toEqual([]);
    expect(policy?.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy?.spec?.ingress ?? []).toEqual([]);
    expect(egressPorts(policy!)).toEqual([53, postgresPort].sort((a, b) => a - b));
  });
});
