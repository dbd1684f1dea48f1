package ssmreach.core;

import java.util.function.Consumer;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;

/** What every EC2 client of the functions is built with, here and wherever the functions run. */
public final class Ec2Overrides {
    /**
     * How many attempts an EC2 call gets from the SDK. EC2's token buckets are shared with the whole
     * account and some are small (CreateVpcEndpoint: 4, refilled at 0.3 a second), so an empty one
     * stays empty for seconds: eight attempts wait up to about a minute with the SDK's throttling
     * backoff (1 s doubling, at most 20 s, jittered), where the default three give up within seconds
     * and leave the retry to the workflow, which starts the whole step over.
     */
    static final int MAX_ATTEMPTS = 8;

    private Ec2Overrides() {}

    /** The pacer, then the attempts above. */
    public static Consumer<ClientOverrideConfiguration.Builder> with(ApiPacer pacer) {
        return c -> c.addExecutionInterceptor(pacer).retryStrategy(b -> b.maxAttempts(MAX_ATTEMPTS));
    }
}
