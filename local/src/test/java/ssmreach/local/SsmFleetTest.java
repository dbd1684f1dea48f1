package ssmreach.local;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;

/** The fleet's network rules, without the emulator. */
class SsmFleetTest {
    private static final Set<String> INSTANCE_GROUPS = Set.of("sg-instance");

    @Test
    void cidrContainment() {
        assertTrue(SsmFleet.cidrContains("10.0.0.0/16", "10.0.1.0/24"));
        assertTrue(SsmFleet.cidrContains("10.0.1.0/24", "10.0.1.0/24"));
        assertTrue(SsmFleet.cidrContains("0.0.0.0/0", "192.168.3.0/28"));
        assertFalse(SsmFleet.cidrContains("10.0.1.0/24", "10.0.0.0/16"));
        assertFalse(SsmFleet.cidrContains("10.1.0.0/16", "10.0.1.0/24"));
        assertFalse(SsmFleet.cidrContains("10.0.1.0/25", "10.0.1.0/24"));
        assertFalse(SsmFleet.cidrContains(null, "10.0.1.0/24"));
    }

    @Test
    void endpointGroupMustAdmitHttpsFromTheSubnet() {
        assertTrue(admits(IpPermission.builder().ipProtocol("tcp").fromPort(443).toPort(443).ipRanges(r -> r.cidrIp("10.0.0.0/16")).build()));
        assertTrue(admits(IpPermission.builder().ipProtocol("tcp").fromPort(0).toPort(65535).ipRanges(r -> r.cidrIp("10.0.1.0/24")).build()));
        assertTrue(admits(IpPermission.builder().ipProtocol("-1").ipRanges(r -> r.cidrIp("0.0.0.0/0")).build()), "all traffic");
        assertTrue(admits(IpPermission.builder().ipProtocol("tcp").fromPort(443).toPort(443)
                .userIdGroupPairs(p -> p.groupId("sg-instance")).build()), "from a group the instance is in");

        assertFalse(admits(IpPermission.builder().ipProtocol("tcp").fromPort(22).toPort(22).ipRanges(r -> r.cidrIp("10.0.0.0/16")).build()));
        assertFalse(admits(IpPermission.builder().ipProtocol("udp").fromPort(443).toPort(443).ipRanges(r -> r.cidrIp("10.0.0.0/16")).build()));
        assertFalse(admits(IpPermission.builder().ipProtocol("tcp").fromPort(443).toPort(443).ipRanges(r -> r.cidrIp("10.0.2.0/24")).build()),
                "another subnet's block");
        assertFalse(admits(IpPermission.builder().ipProtocol("tcp").fromPort(443).toPort(443)
                .userIdGroupPairs(p -> p.groupId("sg-other")).build()));
    }

    private static boolean admits(IpPermission rule) {
        return SsmFleet.admitsHttps(SecurityGroup.builder().groupId("sg-endpoint").ipPermissions(rule).build(), "10.0.1.0/24", INSTANCE_GROUPS);
    }
}
