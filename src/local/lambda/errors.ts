// Lambda API errors (not function errors): what the Invoke API answers before
// or instead of running a function. On the wire, as AWS sends them (restJson1):
//
//   HTTP <status>
//   x-amzn-ErrorType: <type>
//   {"Type":"User","message":"..."}          (+ "Reason" for throttles)
//
// The SDK takes the error's name from x-amzn-ErrorType, so a client sees
// ResourceNotFoundException, TooManyRequestsException, … exactly as in AWS.

/** type → HTTP status, one row per error the emulator can answer. */
export const LAMBDA_API_ERRORS = {
  ResourceNotFoundException: 404,
  InvalidRequestContentException: 400,
  InvalidParameterValueException: 400,
  ResourceConflictException: 409,
  ResourceInUseException: 400,
  RequestEntityTooLargeException: 413,
  TooManyRequestsException: 429,
  ServiceException: 500,
} as const;

export type LambdaApiErrorType = keyof typeof LAMBDA_API_ERRORS;

export class LambdaApiError extends Error {
  override readonly name = 'LambdaApiError';
  readonly statusCode: number;

  constructor(
    readonly type: LambdaApiErrorType,
    message: string,
    /** Extra fields of the body, e.g. Reason of a throttle. */
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
    this.statusCode = LAMBDA_API_ERRORS[type];
  }

  /** The error body as AWS sends it. */
  body(): Record<string, string> {
    return { Type: this.statusCode >= 500 ? 'Service' : 'User', message: this.message, ...this.extra };
  }
}
