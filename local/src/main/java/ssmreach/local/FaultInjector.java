package ssmreach.local;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The faults the strictness proxy injects, as AWS produces them: throttling
 * ({@code RequestLimitExceeded} for EC2, each protocol's own throttling error elsewhere), HTTP 500
 * and 503, added latency, connections closed without an answer (before the call reaches the
 * emulator, or after it was carried out: the answer is lost), plus scripted one-off failures of
 * chosen calls. Random faults come from one seeded {@link Random}: the same sequence of requests
 * meets the same faults (concurrent requests may arrive in another order from run to run).
 *
 * <p>Every fault injected is counted, and so are the SDK's own retries (attempts after the first,
 * from the {@code amz-sdk-request} header), for tests to read and bound.
 */
public final class FaultInjector {
    /** What was injected. */
    public enum Kind { THROTTLED, HTTP_500, HTTP_503, DROPPED, RESPONSE_LOST, LATENCY, SCRIPTED }

    /**
     * Rates of random faults, each a probability per request in [0, 1].
     *
     * @param throttle throttling error (EC2: HTTP 503 {@code RequestLimitExceeded})
     * @param http500 HTTP 500 ({@code InternalError})
     * @param http503 HTTP 503 ({@code Unavailable})
     * @param dropped connection closed before the request reaches the emulator
     * @param responseLost request carried out by the emulator, then the connection closed unanswered
     * @param latency a delay of up to {@code maxLatency} before the request is handled
     * @param maxLatency the longest delay added
     * @param ec2Only faults for EC2 only (true) or for every service the proxy serves
     */
    public record Rates(double throttle, double http500, double http503, double dropped, double responseLost,
                        double latency, Duration maxLatency, boolean ec2Only) {
        public static final Rates NONE = new Rates(0, 0, 0, 0, 0, 0, Duration.ZERO, true);

        public Rates {
            for (double rate : new double[] {throttle, http500, http503, dropped, responseLost, latency}) {
                if (rate < 0 || rate > 1) {
                    throw new IllegalArgumentException("a fault rate is a probability in [0, 1], not " + rate);
                }
            }
            if (throttle + http500 + http503 + dropped + responseLost > 1) {
                throw new IllegalArgumentException("the error rates add up to more than 1");
            }
        }

        /** Throttling, server errors and latency, the mix AWS gives a busy account. */
        public static Rates of(double throttle, double serverErrors, double latency, Duration maxLatency) {
            return new Rates(throttle, serverErrors / 2, serverErrors / 2, 0, 0, latency, maxLatency, true);
        }

        public Rates withDropped(double dropped, double responseLost) {
            return new Rates(throttle, http500, http503, dropped, responseLost, latency, maxLatency, ec2Only);
        }

        public Rates forAllServices() {
            return new Rates(throttle, http500, http503, dropped, responseLost, latency, maxLatency, false);
        }
    }

    /** One request as the fault injector sees it. */
    public record Request(String service, String action, Map<String, String> form) {}

    /** An error answer to give instead of the emulator's; {@link #LOST}: carry the call out, then give no answer. */
    public record ScriptedError(int status, String code, String message) {
        public static final ScriptedError LOST = new ScriptedError(0, "", "");
    }

    /** What to do with one request. */
    record Decision(Kind fault, long delayMillis, ScriptedError scripted) {
        static final Decision NONE = new Decision(null, 0, null);
    }

    private record Script(Predicate<Request> matches, AtomicInteger remaining, ScriptedError error) {}

    private final Random random;
    private volatile Rates rates = Rates.NONE;
    private final List<Script> scripts = new CopyOnWriteArrayList<>();
    private final Map<Kind, AtomicInteger> injected = new EnumMap<>(Kind.class);
    private final AtomicInteger sdkRetries = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();

    public FaultInjector(long seed) {
        this.random = new Random(seed);
        for (Kind kind : Kind.values()) {
            injected.put(kind, new AtomicInteger());
        }
    }

    /** No faults: what the proxy uses unless told otherwise. */
    public static FaultInjector none() {
        return new FaultInjector(0);
    }

    public FaultInjector rates(Rates rates) {
        this.rates = rates;
        return this;
    }

    public Rates rates() {
        return rates;
    }

    /**
     * The next {@code times} requests that match fail with the given error (before reaching the
     * emulator), or with {@link ScriptedError#LOST} are carried out and left unanswered.
     */
    public FaultInjector failNext(Predicate<Request> matches, int times, ScriptedError error) {
        scripts.add(new Script(matches, new AtomicInteger(times), error));
        return this;
    }

    /** How many faults of a kind were injected since the last {@link #clear()}. */
    public int injected(Kind kind) {
        return injected.get(kind).get();
    }

    /** Every fault but latency: the errors the callers had to get over. */
    public int errorsInjected() {
        return injected.entrySet().stream().filter(e -> e.getKey() != Kind.LATENCY).mapToInt(e -> e.getValue().get()).sum();
    }

    public Map<Kind, Integer> counts() {
        Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
        injected.forEach((kind, count) -> counts.put(kind, count.get()));
        return counts;
    }

    /** Requests that the SDK sent as a retry (attempt 2 or later of one call). */
    public int sdkRetries() {
        return sdkRetries.get();
    }

    /** Requests seen (every attempt). */
    public int requests() {
        return requests.get();
    }

    /** Forgets the counters and the scripted failures; the rates stay. */
    public void clear() {
        scripts.clear();
        injected.values().forEach(count -> count.set(0));
        sdkRetries.set(0);
        requests.set(0);
    }

    /** Counts the request and decides its fate. */
    Decision decide(Request request, String sdkRequestHeader) {
        requests.incrementAndGet();
        if (sdkRequestHeader != null && attempt(sdkRequestHeader) > 1) {
            sdkRetries.incrementAndGet();
        }
        for (Script script : scripts) {
            if (script.matches().test(request) && script.remaining().getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                if (script.error().status() == 0) {
                    count(Kind.RESPONSE_LOST);
                    return new Decision(Kind.RESPONSE_LOST, 0, null);
                }
                count(Kind.SCRIPTED);
                return new Decision(Kind.SCRIPTED, 0, script.error());
            }
        }
        Rates now = rates;
        if (now.ec2Only() && !"ec2".equals(request.service())) {
            return Decision.NONE;
        }
        double draw;
        double latencyDraw;
        long delay;
        synchronized (random) {
            draw = random.nextDouble();
            latencyDraw = random.nextDouble();
            delay = now.maxLatency().isZero() ? 0 : 1 + (long) (random.nextDouble() * now.maxLatency().toMillis());
        }
        long delayMillis = 0;
        if (latencyDraw < now.latency() && delay > 0) {
            delayMillis = delay;
            count(Kind.LATENCY);
        }
        Kind fault = null;
        double bound = 0;
        for (Map.Entry<Kind, Double> entry : List.of(Map.entry(Kind.THROTTLED, now.throttle()), Map.entry(Kind.HTTP_500, now.http500()),
                Map.entry(Kind.HTTP_503, now.http503()), Map.entry(Kind.DROPPED, now.dropped()),
                Map.entry(Kind.RESPONSE_LOST, now.responseLost()))) {
            bound += entry.getValue();
            if (draw < bound) {
                fault = entry.getKey();
                break;
            }
        }
        if (fault != null) {
            count(fault);
        }
        return new Decision(fault, delayMillis, null);
    }

    private void count(Kind kind) {
        injected.get(kind).incrementAndGet();
    }

    /** {@code attempt=2; max=3} → 2; 1 when absent or unreadable. */
    static int attempt(String header) {
        for (String part : header.split(";")) {
            String[] pair = part.trim().split("=", 2);
            if (pair.length == 2 && pair[0].equals("attempt")) {
                try {
                    return Integer.parseInt(pair[1].trim());
                } catch (NumberFormatException e) {
                    return 1;
                }
            }
        }
        return 1;
    }

    /** The error answer of a fault, in the protocol of the service. */
    static AwsReply reply(Kind kind, String service) {
        boolean ec2 = "ec2".equals(service);
        boolean json = "ssm".equals(service) || "events".equals(service) || "states".equals(service);
        return switch (kind) {
            case THROTTLED -> ec2 ? ec2(503, "RequestLimitExceeded", "Request limit exceeded.")
                    : json ? AwsReply.jsonError(400, "ThrottlingException", "Rate exceeded")
                    : AwsReply.iamError(400, "Throttling", "Rate exceeded");
            case HTTP_500 -> ec2 ? ec2(500, "InternalError", "An internal error has occurred")
                    : json ? AwsReply.jsonError(500, "InternalServerError", "An internal error has occurred")
                    : AwsReply.iamError(500, "InternalFailure", "An internal error has occurred");
            case HTTP_503 -> ec2 ? ec2(503, "Unavailable", "The server is overloaded and can't handle the request.")
                    : json ? AwsReply.jsonError(503, "ServiceUnavailable", "Service is unavailable")
                    : AwsReply.iamError(503, "ServiceUnavailable", "Service is unavailable");
            default -> throw new IllegalArgumentException(kind + " has no error answer");
        };
    }

    static AwsReply scripted(ScriptedError error, String service) {
        boolean json = "ssm".equals(service) || "events".equals(service) || "states".equals(service);
        return "ec2".equals(service) ? ec2(error.status(), error.code(), error.message())
                : json ? AwsReply.jsonError(error.status(), error.code(), error.message())
                : AwsReply.iamError(error.status(), error.code(), error.message());
    }

    static AwsReply ec2(int status, String code, String message) {
        return AwsReply.xml(status, "<Response><Errors><Error><Code>" + code + "</Code><Message>" + AwsReply.escape(message)
                + "</Message></Error></Errors><RequestID>" + java.util.UUID.randomUUID() + "</RequestID></Response>");
    }
}
