export interface AdaptOptions {
  /** Region used when neither the payload nor `?regionId=` names one (the function's own). */
  defaultRegion?: string;
}
