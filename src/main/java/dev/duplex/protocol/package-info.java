/**
 * Protocol: the sub-protocols ({@code superchat}, {@code chat}), found through one registry that
 * fails loudly on an unknown name. Each handler decides what its sessions receive (the kinds of
 * frame, the welcome) and what each frame they send does; the services below never ask which
 * sub-protocol a session speaks.
 */
package dev.duplex.protocol;
