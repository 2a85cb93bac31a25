// An API error as the cloud reports it: HTTP status + Code + Message. Thrown by handlers,
// turned into the service's error body by the server that caught it.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function missingParameter(name: string): ApiError {
  return new ApiError(
    400,
    'MissingParameter',
    `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
  );
}

export function invalidParameter(name: string, detail?: string): ApiError {
  return new ApiError(400, `InvalidParameter.${name}`, detail ?? `The specified parameter "${name}" is not valid.`);
}

export const SIGNATURE_MISMATCH_PREFIX = 'Specified signature is not matched with our calculation. server string to sign is:';
