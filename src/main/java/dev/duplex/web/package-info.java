/**
 * Web: the servlets beside the chat transports — the operator notice API
 * ({@code POST /api/notices}), the health report ({@code GET /health}) and the listener that starts
 * and stops the chat services with the application.
 */
package dev.duplex.web;
