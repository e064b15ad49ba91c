import { z } from "zod";

/**
 * The part of Kubernetes' batch/v1 Job that an Indexed Job uses, written from the API reference
 * (Job, JobSpec, PodTemplateSpec, PodSpec, Container, Volume): what `kubectl apply` would refuse
 * is refused here. Used by tests of `sweep k8s`; no cluster runs in CI.
 */

const dnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label (lower case, digits, '-', at most 63)");

const container = z.strictObject({
  name: dnsLabel,
  image: z.string().min(1),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  env: z.array(z.strictObject({ name: z.string().min(1), value: z.string() })).optional(),
  resources: z
    .strictObject({
      requests: z.record(z.string(), z.string()).optional(),
      limits: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  volumeMounts: z.array(z.strictObject({ name: dnsLabel, mountPath: z.string().startsWith("/") })).optional(),
});

const labels = z.record(z.string(), z.string());

export const indexedJobSchema = z
  .strictObject({
    apiVersion: z.literal("batch/v1"),
    kind: z.literal("Job"),
    metadata: z.strictObject({ name: dnsLabel, labels: labels.optional() }),
    spec: z.strictObject({
      completions: z.int().min(1),
      parallelism: z.int().min(0),
      completionMode: z.literal("Indexed"),
      backoffLimit: z.int().min(0).optional(),
      backoffLimitPerIndex: z.int().min(0).optional(),
      maxFailedIndexes: z.int().min(0).optional(),
      template: z.strictObject({
        metadata: z.strictObject({ labels: labels.optional() }).optional(),
        spec: z.strictObject({
          restartPolicy: z.enum(["Never", "OnFailure"]),
          containers: z.array(container).min(1),
          volumes: z
            .array(
              z.strictObject({
                name: dnsLabel,
                persistentVolumeClaim: z.strictObject({ claimName: z.string().min(1) }),
              }),
            )
            .optional(),
        }),
      }),
    }),
  })
  // the reference: Indexed Jobs allow completions and parallelism up to 10^5; backoffLimitPerIndex
  // needs restartPolicy Never; every volumeMount names a volume of the pod
  .refine(
    (j) => j.spec.completions <= 1e5 && j.spec.parallelism <= 1e5,
    "completions and parallelism must be <= 100000 for an Indexed Job",
  )
  .refine(
    (j) => j.spec.backoffLimitPerIndex === undefined || j.spec.template.spec.restartPolicy === "Never",
    "backoffLimitPerIndex needs restartPolicy Never",
  )
  .refine((j) => {
    const vols = new Set((j.spec.template.spec.volumes ?? []).map((v) => v.name));
    return j.spec.template.spec.containers.every((c) =>
      (c.volumeMounts ?? []).every((m) => vols.has(m.name)),
    );
  }, "every volumeMount must name a volume of the pod");
