/**
 * Services: everything the chat does, as plain classes wired once in {@code Duplex} — session
 * admission and routing ({@code SessionManager}), the room index ({@code ConnectionRegistry}),
 * messages and notices ({@code ChatService}, {@code NoticeService}), one bounded sender per session
 * ({@code OutboundQueue}) and the origin check. {@code DuplexBean} makes the graph an
 * application-scoped CDI bean where CDI exists; {@code DuplexLocator} hands it to the endpoint and
 * servlets either way.
 */
package dev.duplex.service;
