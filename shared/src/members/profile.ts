/** The six profile fields that count towards completion, each an equal share. */
export const PROFILE_COMPLETION_FIELDS = ['name', 'gender', 'birthday', 'phone', 'city', 'interests'] as const;

export type ProfileForCompletion = Partial<Record<(typeof PROFILE_COMPLETION_FIELDS)[number], string | readonly string[] | null>>;

/** 0–100, rounded down, so 100 means every field is filled. Empty strings and empty lists count as missing. */
export function profileCompletion(profile: ProfileForCompletion): number {
  const filled = PROFILE_COMPLETION_FIELDS.filter((field) => isFilled(profile[field])).length;
  return Math.floor((filled * 100) / PROFILE_COMPLETION_FIELDS.length);
}

export function isProfileComplete(profile: ProfileForCompletion): boolean {
  return profileCompletion(profile) === 100;
}

function isFilled(value: string | readonly string[] | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'string') return value.trim() !== '';
  return value.length > 0;
}
