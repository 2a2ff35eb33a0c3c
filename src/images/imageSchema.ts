/** The shape of images/<name>/image.yaml, checked before anything is built or provisioned from it. */
import { Type, type Static } from '@sinclair/typebox';
import { PACKAGE_FAMILIES, PACKAGE_MANAGERS } from '../domain/packages.js';

const NonEmpty = Type.String({ minLength: 1 });
// YAML reads `version: 12` as a number; both spellings mean the same release.
const Version = Type.Union([NonEmpty, Type.Number()], { description: 'a string such as "12"' });
const ImageRef = Type.String({
  pattern: '^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$',
  description: 'a Docker image reference such as repro/debian-12:latest',
});

export const PackageFamilySchema = Type.Union(PACKAGE_FAMILIES.map((f) => Type.Literal(f)));

export const ContainerSettingsSchema = Type.Object(
  {
    /** Dockerfile relative to the image folder. */
    dockerfile: Type.String({ minLength: 1, default: 'Dockerfile' }),
    /** Floating tag moved to the latest successful build, e.g. `repro/debian-12:latest`; builds are also tagged by content hash. */
    tag: ImageRef,
    /** Base image the Dockerfile starts FROM, e.g. `debian:12`. */
    base: ImageRef,
    /** How to make `base` without a registry: debootstrap this suite from the family's mirror, or (rhel) `dnf --installroot` from `repository`. */
    bootstrap: Type.Optional(
      Type.Object(
        {
          suite: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]*$', description: 'a suite name such as bookworm (debian/ubuntu), a release such as 9 (rhel)' }),
          variant: Type.Optional(Type.String({ pattern: '^[a-z-]+$', description: 'a debootstrap variant such as minbase' })),
          /** rhel: the dnf repository (BaseOS of a mirror) `dnf --installroot` installs from. */
          repository: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$', description: 'an http(s) URL' })),
          /** rhel: the repository's signing key; without it packages are not signature-checked. */
          gpgKey: Type.Optional(Type.String({ pattern: '^(https?|file)://[^\\s]+$', description: 'an http(s) or file URL' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const VmSettingsSchema = Type.Object(
  {
    /** Path (under the data dir) or absolute path of the base qcow2. */
    disk: NonEmpty,
    /** Direct kernel boot for bootstrapped images; absent for cloud images that boot from disk. */
    kernel: Type.Optional(NonEmpty),
    initrd: Type.Optional(NonEmpty),
    cmdline: Type.Optional(NonEmpty),
    cpus: Type.Integer({ minimum: 1 }),
    memoryMb: Type.Integer({ minimum: 128 }),
    diskGb: Type.Integer({ minimum: 1 }),
    user: Type.String({ pattern: '^[a-z_][a-z0-9_-]*$', description: 'a login name' }),
    /** The distribution's official cloud image, fetched into `disk` by scripts/fetch-vm-images.ts. */
    cloudImage: Type.Optional(Type.Object(
      {
        url: Type.String({ pattern: '^https?://[^\\s]+$', description: 'an http(s) URL' }),
        checksum: Type.String({
          pattern: '^(sha256:[0-9a-f]{64}|https?://[^\\s]+)$',
          description: 'sha256:<hex>, or the URL of the distribution\'s checksum list naming the file',
        }),
      },
      { additionalProperties: false },
    )),
    /** cloud-config merged into the seed (e.g. yum_repos for the CentOS 7 vault); keys repro writes itself are refused. */
    cloudInit: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z_]+$' }), Type.Unknown())),
  },
  { additionalProperties: false },
);

export const ImageSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,62}$', description: 'lower case letters, digits, . and -' }),
    description: NonEmpty,
    distribution: NonEmpty,
    version: Version,
    family: PackageFamilySchema,
    /** Absent: the family's default (apt for debian/ubuntu, dnf for rhel); centos-7 says yum. */
    packageManager: Type.Optional(Type.Union(PACKAGE_MANAGERS.map((m) => Type.Literal(m)))),
    /** Packages baked into the image on top of the family's support tools; absent means none (each checked against the family's package rules after the schema). */
    packages: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 100 })),
    container: Type.Optional(ContainerSettingsSchema),
    vm: Type.Optional(VmSettingsSchema),
  },
  { additionalProperties: false },
);

export type ImageDocument = Static<typeof ImageSchema>;
