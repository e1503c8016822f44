/**
 * Sessions: admission and routing for every transport. A transport describes a connection attempt
 * as a {@code Handshake}; {@code SessionManager} validates its parameters ({@code HandshakeParams}),
 * the per-address cap ({@code AddressLimiter}) and the sub-protocol, answers with an
 * {@code Admission} (a session that is in its room, or the documented refusal), routes inbound frames
 * to the sub-protocol's handler within the rate limit, and forgets a session, once, when its
 * transport reports it closed. {@code OriginPolicy} is the browser origin rule every transport
 * applies.
 */
package dev.duplex.session;
