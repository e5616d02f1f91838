import { AdmissionLevelKind, AdmissionLimit, type AdmissionLevelFieldsFragment, type KeyAdmissionQuery } from "../../gql/graphql";

type Admission = KeyAdmissionQuery["keyAdmission"];
type LevelRef = Pick<AdmissionLevelFieldsFragment, "kind" | "ownerId" | "model">;

/** One limit in force at one level: a row of the "why refused" table. */
export interface AdmissionRow {
  id: string;
  level: string;
  limit: AdmissionLimit;
  /** Budgets are dollars (Decimal strings); rates and parallel are counts. */
  money: boolean;
  max: number;
  used: number;
  left: number;
  resetsAt: string | null;
  tightest: boolean;
}

const KIND_LABELS: Record<AdmissionLevelKind, string> = {
  [AdmissionLevelKind.Key]: "Key",
  [AdmissionLevelKind.User]: "User",
  [AdmissionLevelKind.Team]: "Team",
  [AdmissionLevelKind.Organization]: "Organization",
  [AdmissionLevelKind.KeyModel]: "Key, per model",
};

export const LIMIT_LABELS: Record<AdmissionLimit, string> = {
  [AdmissionLimit.Rpm]: "Requests / minute",
  [AdmissionLimit.Tpm]: "Tokens / minute",
  [AdmissionLimit.Parallel]: "Parallel requests",
  [AdmissionLimit.Budget]: "Budget",
};

export function levelLabel(level: LevelRef): string {
  const kind = KIND_LABELS[level.kind];
  return level.model ? `${kind} (${level.model})` : kind;
}

function sameLevel(a: LevelRef, b: LevelRef): boolean {
  return a.kind === b.kind && a.ownerId === b.ownerId && (a.model ?? null) === (b.model ?? null);
}

/** The limits in force, level by level, with the tightest ones marked. */
export function admissionRows(admission: Admission): AdmissionRow[] {
  const rows: AdmissionRow[] = [];
  const isTightest = (level: LevelRef, limit: AdmissionLimit) =>
    admission.tightest.some((t) => t.limit === limit && sameLevel(t.level, level));
  for (const level of admission.levels) {
    const base = `${level.kind}:${level.ownerId}:${level.model ?? ""}`;
    const name = levelLabel(level);
    if (level.budget && level.budget.maxBudget !== null && level.budget.maxBudget !== undefined) {
      const b = level.budget;
      const used = Number(b.spent) + Number(b.reserved);
      rows.push({
        id: `${base}:budget`,
        level: name,
        limit: AdmissionLimit.Budget,
        money: true,
        max: Number(b.maxBudget),
        used,
        left: b.remaining !== null && b.remaining !== undefined ? Number(b.remaining) : Number(b.maxBudget) - used,
        resetsAt: b.resetsAt ?? null,
        tightest: isTightest(level, AdmissionLimit.Budget),
      });
    }
    for (const [limit, usage] of [
      [AdmissionLimit.Rpm, level.rpm],
      [AdmissionLimit.Tpm, level.tpm],
    ] as const) {
      if (!usage) continue;
      rows.push({
        id: `${base}:${limit}`,
        level: name,
        limit,
        money: false,
        max: usage.limit,
        used: usage.used,
        left: usage.remaining,
        resetsAt: usage.resetsAt,
        tightest: isTightest(level, limit),
      });
    }
    if (level.parallel) {
      rows.push({
        id: `${base}:parallel`,
        level: name,
        limit: AdmissionLimit.Parallel,
        money: false,
        max: level.parallel.limit,
        used: level.parallel.inFlight,
        left: level.parallel.remaining,
        resetsAt: null,
        tightest: isTightest(level, AdmissionLimit.Parallel),
      });
    }
  }
  return rows;
}
