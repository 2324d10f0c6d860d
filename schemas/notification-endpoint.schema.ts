// PUT /v1/notification-endpoint (design.md §11): where a trader's status events are pushed, and
// the secret their HMAC signature is made with.
export const notificationEndpointSchema = {
  $id: 'urn:ventanilla:schema:notification-endpoint',
  title: 'NotificationEndpoint',
  type: 'object',
  additionalProperties: false,
  required: ['url', 'secret'],
  properties: {
    // Printable ASCII only (percent-encode the rest): no spaces, no control characters.
    url: { type: 'string', minLength: 8, maxLength: 2048, pattern: '^https?://[\\x21-\\x7E]+$' },
    // Long enough to be a key, short enough to be one; printable ASCII, so that every HMAC
    // library the trader uses reads it as the same bytes.
    secret: { type: 'string', minLength: 16, maxLength: 256, pattern: '^[\\x20-\\x7E]+$' },
  },
} as const;
