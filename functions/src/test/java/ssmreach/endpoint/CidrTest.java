package ssmreach.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {
    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
            // IPv4
            "10.0.0.0/16,        10.0.3.0/24,        true",
            "10.0.0.0/16,        10.0.0.0/16,        true",
            "10.0.0.0/8,         10.200.3.0/24,      true",
            "0.0.0.0/0,          192.168.1.0/24,     true",
            "10.0.3.0/24,        10.0.3.17,          true",
            "10.0.3.0/24,        10.0.0.0/16,        false",
            "10.1.0.0/16,        10.0.3.0/24,        false",
            "10.0.0.0/16,        10.0.255.0/23,      true",
            "10.0.0.0/16,        10.1.0.0/23,        false",
            "172.31.0.0/16,      172.16.0.0/12,      false",
            // IPv6
            "2600:1f18:abc:de00::/56, 2600:1f18:abc:de01::/64, true",
            "2600:1f18:abc:de00::/56, 2600:1f18:abc:df00::/64, false",
            "::/0,               2600:1f18:abc:de01::/64, true",
            "2600:1F18:ABC:DE00::/56, 2600:1f18:abc:de01::/64, true",
            // families do not mix
            "::/0,               10.0.0.0/16,        false",
            "0.0.0.0/0,          2600:1f18:abc:de01::/64, false",
            // malformed
            "10.0.0.0/33,        10.0.0.0/24,        false",
            "10.0.0.0/16,        10.0.0.0/-1,        false",
            "10.0.0.0/x,         10.0.0.0/24,        false",
            "not-a-cidr,         10.0.0.0/24,        false",
            "10.0.0.0/16,        example.com/24,     false",
            "'',                 10.0.0.0/24,        false",
            "10.0.0.0/16,        '',                 false",
            "2600::/129,         2600::/64,          false",
    })
    void contains(String outer, String inner, boolean expected) {
        assertEquals(expected, Cidr.contains(outer, inner));
    }

    @org.junit.jupiter.api.Test
    void nullIsContainedNowhere() {
        assertEquals(false, Cidr.contains(null, "10.0.0.0/24"));
        assertEquals(false, Cidr.contains("10.0.0.0/16", null));
    }
}
