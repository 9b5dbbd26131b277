import { selectSubprotocol, tokenFromHandshake } from '../../layers/core/auth/websocket-token';

const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';

describe('token from the handshake', () => {
  it('reads the Authorization query parameter (the extension)', () => {
    expect(tokenFromHandshake({ queryStringParameters: { Authorization: jwt } })).toBe(jwt);
    expect(tokenFromHandshake({ queryStringParameters: { Authorization: `Bearer ${jwt}` } })).toBe(jwt);
  });

  it('reads a JWT-shaped Sec-WebSocket-Protocol entry, any header case', () => {
    expect(tokenFromHandshake({ headers: { 'Sec-WebSocket-Protocol': `presence.v1, ${jwt}` } })).toBe(jwt);
    expect(tokenFromHandshake({ headers: { 'sec-websocket-protocol': jwt } })).toBe(jwt);
  });

  it('finds nothing when neither is present', () => {
    expect(tokenFromHandshake({})).toBeUndefined();
    expect(tokenFromHandshake({ queryStringParameters: null, headers: { 'Sec-WebSocket-Protocol': 'presence.v1' } })).toBeUndefined();
  });

  it('echoes a named subprotocol rather than the token, the token only when alone', () => {
    expect(selectSubprotocol({ headers: { 'Sec-WebSocket-Protocol': `${jwt}, presence.v1` } })).toBe('presence.v1');
    expect(selectSubprotocol({ headers: { 'Sec-WebSocket-Protocol': jwt } })).toBe(jwt);
    expect(selectSubprotocol({ headers: {} })).toBeUndefined();
  });
});
