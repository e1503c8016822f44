/**
 * Services: everything the chat does, as plain classes wired once in {@code Duplex} — session
 * admission and routing ({@code SessionManager}), the session index ({@code ConnectionRegistry}),
 * rooms, directs and notices ({@code RoomService}, {@code DirectService}, {@code NoticeService}),
 * one bounded sender per session ({@code OutboundQueue} over {@code SessionSink}), broadcasts sent
 * by a few threads ({@code LocalDelivery}, {@code FanOut}) and the origin check. {@code DuplexBean} makes the graph an
 * application-scoped CDI bean where CDI exists; {@code DuplexLocator} hands it to the endpoint and
 * servlets either way.
 */
package dev.duplex.service;
