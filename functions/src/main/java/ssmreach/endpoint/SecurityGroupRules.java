package ssmreach.endpoint;

import java.util.Collection;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;

/**
 * Whether security groups admit HTTPS from a subnet. Only address rules are judged: a rule whose
 * source is another group or a prefix list cannot be tied to a subnet, so it does not count.
 */
public final class SecurityGroupRules {
    private SecurityGroupRules() {}

    public static boolean admitsHttpsFrom(Collection<SecurityGroup> groups, String subnetCidr) {
        return groups.stream().flatMap(g -> g.ipPermissions().stream())
                .filter(SecurityGroupRules::coversHttps)
                .anyMatch(p -> p.ipRanges().stream().anyMatch(r -> Cidr.contains(r.cidrIp(), subnetCidr))
                        || p.ipv6Ranges().stream().anyMatch(r -> Cidr.contains(r.cidrIpv6(), subnetCidr)));
    }

    private static boolean coversHttps(IpPermission p) {
        if ("-1".equals(p.ipProtocol())) {
            return true;
        }
        return ("tcp".equals(p.ipProtocol()) || "6".equals(p.ipProtocol()))
                && p.fromPort() != null && p.toPort() != null && p.fromPort() <= 443 && p.toPort() >= 443;
    }
}
