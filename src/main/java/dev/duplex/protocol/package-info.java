/**
 * Protocol: the sub-protocols ({@code superchat}, {@code chat}) and the handler for each, found
 * through one registry that fails loudly on an unknown name, plus the close codes and error codes
 * of docs/PROTOCOL.md, each defined once by name.
 */
package dev.duplex.protocol;
