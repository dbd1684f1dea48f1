package ssmreach.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the functions must never do, judged on the record of their mutating calls: no
 * {@code Delete*}, {@code Disassociate*}, {@code Replace*} or {@code Revoke*} call, and every
 * security group rule added is an ingress rule for TCP 443 from a CIDR block of the VPC (no group,
 * no prefix list, no egress rule).
 */
public final class Safety {
    private static final List<String> FORBIDDEN = List.of("Delete", "Disassociate", "Replace", "Revoke");
    private static final Pattern PROTOCOL = Pattern.compile("IpProtocol=([^,)]+)");
    private static final Pattern FROM_PORT = Pattern.compile("FromPort=(-?\\d+)");
    private static final Pattern TO_PORT = Pattern.compile("ToPort=(-?\\d+)");
    private static final Pattern SOURCE = Pattern.compile("CidrIp(?:v6)?=([^,)]+)");

    private Safety() {}

    /**
     * Each broken rule as a sentence; empty when none is. {@code vpcBlocks}: the CIDR blocks an
     * ingress rule may admit from.
     */
    public static List<String> violations(List<CallLog.Call> mutations, Set<String> vpcBlocks) {
        List<String> violations = new ArrayList<>();
        for (CallLog.Call call : mutations) {
            String operation = call.operation();
            if (FORBIDDEN.stream().anyMatch(operation::startsWith)) {
                violations.add("never: " + operation + " was called");
            } else if (operation.startsWith("AuthorizeSecurityGroup")) {
                ingress(call, vpcBlocks).ifPresent(violations::add);
            }
        }
        return violations;
    }

    private static Optional<String> ingress(CallLog.Call call, Set<String> vpcBlocks) {
        String request = call.request();
        if (!call.operation().equals("AuthorizeSecurityGroupIngress")) {
            return Optional.of("never: " + call.operation() + " (only ingress rules are added): " + request);
        }
        if (request.contains("UserIdGroupPair(") || request.contains("PrefixListId(")) {
            return Optional.of("never: a rule from a group or prefix list: " + request);
        }
        if (!all(PROTOCOL, request, "tcp") || !all(FROM_PORT, request, "443") || !all(TO_PORT, request, "443")) {
            return Optional.of("never: a rule other than TCP 443: " + request);
        }
        Matcher source = SOURCE.matcher(request);
        int sources = 0;
        while (source.find()) {
            sources++;
            if (!vpcBlocks.contains(source.group(1))) {
                return Optional.of("never: a rule from " + source.group(1) + ", not a block of the VPC " + vpcBlocks);
            }
        }
        return sources == 0 ? Optional.of("never: a rule without a CIDR source: " + request) : Optional.empty();
    }

    /** At least one match, and every match is {@code expected}. */
    private static boolean all(Pattern pattern, String request, String expected) {
        Matcher matcher = pattern.matcher(request);
        int found = 0;
        while (matcher.find()) {
            found++;
            if (!expected.equals(matcher.group(1))) {
                return false;
            }
        }
        return found > 0;
    }
}
