package ssmreach.core;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The stack parameters as the functions see them (environment variables set by template.yaml).
 * Every value is checked once, at start, so a bad parameter fails with a clear message instead of
 * half-way through a remediation.
 */
public record Settings(
        String region,
        String accountId,
        List<String> services,
        Scope scope,
        boolean s3Gateway,
        boolean fixDnsAttributes,
        boolean dryRun,
        BigDecimal hourlyEndpointPriceUsd,
        String optOutTagKey,
        String resultEventBus,
        String resultTopicArn,
        boolean instancesInAnySubnet,
        boolean attachPolicyToExistingRole,
        String instanceProfileArn,
        double apiRateShare,
        int turnWaitSeconds,
        int sweepConcurrency,
        int sweepPageVpcs,
        String stackName) {

    /** The interface endpoint services the agent may use; anything else is refused. */
    public static final Set<String> ALLOWED_SERVICES = Set.of("ssm", "ssmmessages", "ec2messages", "ec2", "kms", "logs");

    public static final String TAG_PREFIX = "ssm-reach:";
    /** The most VPCs a sweep works on side by side. */
    public static final int MAX_SWEEP_CONCURRENCY = 10;
    /** The most VPCs one sweep execution takes on: their summaries stay well within Step Functions' 256 KB state. */
    public static final int MAX_SWEEP_PAGE_VPCS = 100;

    public enum Scope {
        ISOLATED, ISOLATED_AND_EGRESS;

        static Scope parse(String value) {
            return switch (value) {
                case "isolated" -> ISOLATED;
                case "isolated-and-egress" -> ISOLATED_AND_EGRESS;
                default -> throw new InvalidConfigurationException(
                        "SCOPE must be 'isolated' or 'isolated-and-egress', not '" + value + "'");
            };
        }
    }

    public static Settings fromEnvironment() {
        return from(System.getenv());
    }

    public static Settings from(Map<String, String> env) {
        String region = required(env, "AWS_REGION");
        String account = env.getOrDefault("ACCOUNT_ID", "");
        if (!account.isEmpty() && !account.matches("\\d{12}")) {
            throw new InvalidConfigurationException("ACCOUNT_ID must be 12 digits, not '" + account + "'");
        }
        List<String> services = Arrays.stream(env.getOrDefault("SERVICES", "ssm,ssmmessages,ec2messages").split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).distinct().toList();
        if (services.isEmpty()) {
            throw new InvalidConfigurationException("SERVICES names no endpoint service");
        }
        for (String service : services) {
            if (!ALLOWED_SERVICES.contains(service)) {
                throw new InvalidConfigurationException("SERVICES has '" + service + "'; allowed: " + ALLOWED_SERVICES);
            }
        }
        BigDecimal price;
        try {
            price = new BigDecimal(env.getOrDefault("HOURLY_ENDPOINT_PRICE_USD", "0.01"));
        } catch (NumberFormatException e) {
            throw new InvalidConfigurationException("HOURLY_ENDPOINT_PRICE_USD is not a number");
        }
        return new Settings(
                region,
                account,
                services,
                Scope.parse(env.getOrDefault("SCOPE", "isolated")),
                bool(env, "S3_GATEWAY", true),
                switch (env.getOrDefault("DNS_ATTRIBUTES", "fix")) {
                    case "fix" -> true;
                    case "report" -> false;
                    default -> throw new InvalidConfigurationException("DNS_ATTRIBUTES must be 'fix' or 'report'");
                },
                bool(env, "DRY_RUN", false),
                price,
                env.getOrDefault("OPT_OUT_TAG", TAG_PREFIX + "skip"),
                env.getOrDefault("RESULT_EVENT_BUS", "default"),
                env.getOrDefault("RESULT_TOPIC_ARN", ""),
                switch (env.getOrDefault("INSTANCE_SCOPE", "in-scope")) {
                    case "in-scope" -> false;
                    case "all" -> true;
                    default -> throw new InvalidConfigurationException("INSTANCE_SCOPE must be 'in-scope' or 'all'");
                },
                switch (env.getOrDefault("EXISTING_PROFILE", "report")) {
                    case "report" -> false;
                    case "attach-policy" -> true;
                    default -> throw new InvalidConfigurationException("EXISTING_PROFILE must be 'report' or 'attach-policy'");
                },
                env.getOrDefault("INSTANCE_PROFILE_ARN", ""),
                share(env.getOrDefault("API_RATE_SHARE", "0")),
                seconds(env, "TURN_WAIT_SECONDS", 20),
                count(env, "SWEEP_CONCURRENCY", 2, MAX_SWEEP_CONCURRENCY),
                count(env, "SWEEP_PAGE_VPCS", MAX_SWEEP_PAGE_VPCS, MAX_SWEEP_PAGE_VPCS),
                env.getOrDefault("STACK_NAME", "ssm-reach"));
    }

    /**
     * A whole number from 1 to {@code max}. The sweep's concurrency is bounded by EC2's budget
     * (each VPC's execution may use the API rate share); its page by the state size, which a
     * page's per-VPC summaries must fit.
     */
    private static int count(Map<String, String> env, String name, int defaultValue, int max) {
        String value = env.getOrDefault(name, String.valueOf(defaultValue));
        int count;
        try {
            count = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new InvalidConfigurationException(name + " is not a whole number: '" + value + "'");
        }
        if (count < 1 || count > max) {
            throw new InvalidConfigurationException(name + " must be 1 to " + max + ", not " + count);
        }
        return count;
    }

    /**
     * The sweep's VPCs run side by side with at most one batch, each at the API rate share: more
     * than the whole of any EC2 API's rate is refused before any call.
     */
    public void requireSweepWithinBudget() {
        if (apiRateShare > 0 && (sweepConcurrency + 1) * apiRateShare > 1.0 + 1e-9) {
            throw new InvalidConfigurationException("SWEEP_CONCURRENCY " + sweepConcurrency + " with API_RATE_SHARE " + apiRateShare
                    + " lets the sweep and a batch use " + Math.round((sweepConcurrency + 1) * apiRateShare * 100)
                    + "% of each EC2 API's rate; keep (SweepConcurrency + 1) x ApiRateShare at most 1");
        }
    }

    /** A whole number of seconds, 1 to 3600. */
    private static int seconds(Map<String, String> env, String name, int defaultValue) {
        String value = env.getOrDefault(name, String.valueOf(defaultValue));
        int seconds;
        try {
            seconds = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new InvalidConfigurationException(name + " is not a whole number of seconds: '" + value + "'");
        }
        if (seconds < 1 || seconds > 3600) {
            throw new InvalidConfigurationException(name + " must be 1 to 3600 seconds, not " + seconds);
        }
        return seconds;
    }

    /** The share of each EC2 API's documented refill rate the functions may use; 0 (the default when unset) paces nothing. */
    private static double share(String value) {
        double share;
        try {
            share = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new InvalidConfigurationException("API_RATE_SHARE is not a number: '" + value + "'");
        }
        if (share < 0 || share > 1 || Double.isNaN(share)) {
            throw new InvalidConfigurationException("API_RATE_SHARE must be between 0 and 1 (0 paces nothing), not " + value);
        }
        return share;
    }

    /** The stack's instance profile, required as soon as an instance needs one. */
    public String requireInstanceProfileArn() {
        if (!instanceProfileArn.matches("arn:aws[a-z-]*:iam::\\d{12}:instance-profile/.+")) {
            throw new InvalidConfigurationException("INSTANCE_PROFILE_ARN is not an instance profile ARN: '" + instanceProfileArn + "'");
        }
        return instanceProfileArn;
    }

    /** Whether a tag opts its VPC or subnet out: the stack's opt-out key with the value true. */
    public boolean optsOut(String tagKey, String tagValue) {
        return optOutTagKey.equals(tagKey) && "true".equalsIgnoreCase(tagValue);
    }

    /** The full service name of an interface endpoint, e.g. com.amazonaws.us-east-1.ssm. */
    public String serviceName(String service) {
        return "com.amazonaws." + region + "." + service;
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new InvalidConfigurationException(name + " is not set");
        }
        return value;
    }

    private static boolean bool(Map<String, String> env, String name, boolean defaultValue) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        return switch (value.toLowerCase()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidConfigurationException(name + " must be 'true' or 'false', not '" + value + "'");
        };
    }
}
