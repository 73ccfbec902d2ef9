import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { parseAllDocuments } from 'yaml';

export const MANIFESTS_DIR = new URL('../../deploy/kubernetes/', import.meta.url);

/** The schemas the manifests are checked against, pinned in package.json: one per kind the folder may hold. */
const SCHEMAS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

export interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface Kustomization {
  resources: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

/** Every YAML document of a file, as plain data; a file that does not parse throws with the parser's message. */
export function readYaml(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(new URL(file, MANIFESTS_DIR), 'utf8'));
  if (!Array.isArray(documents)) return [];
  return documents.map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((error) => error.message).join('; ')}`);
    return document.toJS() as unknown;
  });
}

export function readKustomization(): Kustomization {
  return readYaml('kustomization.yaml')[0] as Kustomization;
}

/** The YAML files of the folder other than the kustomization itself. */
export function manifestFiles(): string[] {
  return readdirSync(MANIFESTS_DIR)
    .filter((name) => /\.ya?ml$/.test(name) && name !== 'kustomization.yaml')
    .sort();
}

export function fileExists(file: string): boolean {
  return existsSync(new URL(file, MANIFESTS_DIR));
}

/** The resources the kustomization lists, each file's documents in order. */
export function readManifests(): Manifest[] {
  return readKustomization().resources.flatMap((file) => readYaml(file).map((document) => ({ ...(document as Manifest), file })));
}

/** Validates a manifest against its kind's schema; throws naming the first violation, or that no schema is pinned for the kind. */
export function validateAgainstSchema(manifest: Manifest): void {
  const Model = SCHEMAS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) throw new Error(`no schema pinned for ${manifest.apiVersion} ${manifest.kind}`);
  const { file: _file, ...data } = manifest;
  new Model(data as never).validate();
}

export function findManifest<T>(manifests: Manifest[], kind: string, name?: string): T & Manifest {
  const found = manifests.find((manifest) => manifest.kind === kind && (name === undefined || manifest.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} among the manifests`);
  return found as T & Manifest;
}

export function allContainers(pod: IPodSpec): IContainer[] {
  return [...(pod.initContainers ?? []), ...pod.containers];
}

/** A quantity such as `1280Mi`, `1Gi` or `500M` in bytes. */
export function bytesOf(quantity: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(String(quantity));
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const units: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
  return Number(match[1]) * units[match[2] ?? '']!;
}

/**
 * The GET routes the controllers declare, each with the name of the method that serves it, read
 * from Nest's own route metadata (what the router registers), not copied.
 */
export function getRoutes(controllers: (new (...args: never[]) => unknown)[]): Map<string, string> {
  const routes = new Map<string, string>();
  for (const controller of controllers) {
    const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
    const prototype = controller.prototype as Record<string, unknown>;
    for (const method of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[method];
      if (typeof handler !== 'function') continue;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined || Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.GET) continue;
      routes.set(joinPath(base, path), `${controller.name}.${method}`);
    }
  }
  return routes;
}

function joinPath(...parts: string[]): string {
  const segments = parts.flatMap((part) => part.split('/')).filter(Boolean);
  return `/${segments.join('/')}`;
}

/** The script a `node <file>.js` command runs, as the TypeScript source the build compiles it from. */
export function sourceOfCommand(command: string[]): string {
  const script = command.find((argument) => argument.endsWith('.js'));
  if (command[0] !== 'node' || !script) throw new Error(`not a node command: ${command.join(' ')}`);
  return script.replace(/^dist\//, '').replace(/\.js$/, '.ts');
}
