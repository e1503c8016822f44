package dev.duplex.support;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;

/** An executor that only queues: tests run its tasks when they choose, on their own thread. */
public final class ManualExecutor implements Executor {

    private final Queue<Runnable> tasks = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable task) {
        tasks.add(task);
    }

    public synchronized int pending() {
        return tasks.size();
    }

    /** Runs every queued task, including those the tasks queue; returns how many ran. */
    public int runAll() {
        int ran = 0;
        while (true) {
            Runnable next;
            synchronized (this) {
                next = tasks.poll();
            }
            if (next == null) {
                return ran;
            }
            next.run();
            ran++;
        }
    }
}
