package dev.duplex.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md "Close codes" 4009. */
class AddressLimiterTest {

    @Test
    void capsEachAddressSeparately() {
        AddressLimiter limiter = new AddressLimiter(2);
        assertTrue(limiter.acquire("10.0.0.1"));
        assertTrue(limiter.acquire("10.0.0.1"));
        assertFalse(limiter.acquire("10.0.0.1"));
        assertTrue(limiter.acquire("10.0.0.2"));
        limiter.release("10.0.0.1");
        assertTrue(limiter.acquire("10.0.0.1"));
        assertEquals(2, limiter.openFrom("10.0.0.1"));
    }

    @Test
    void zeroMeansNoCapAndUnknownAddressesAreNotCounted() {
        AddressLimiter off = new AddressLimiter(0);
        for (int i = 0; i < 1000; i++) {
            assertTrue(off.acquire("10.0.0.1"));
        }
        AddressLimiter on = new AddressLimiter(1);
        assertTrue(on.acquire(null));
        assertTrue(on.acquire(null));
    }

    @Test
    void releasingTheLastForgetsTheAddress() {
        AddressLimiter limiter = new AddressLimiter(1);
        limiter.acquire("10.0.0.1");
        limiter.release("10.0.0.1");
        assertEquals(0, limiter.openFrom("10.0.0.1"));
    }
}
