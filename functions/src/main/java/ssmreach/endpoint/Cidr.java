package ssmreach.endpoint;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** CIDR containment, IPv4 and IPv6, for literal addresses only (never a DNS lookup). */
public final class Cidr {
    private Cidr() {}

    /** True when every address of {@code inner} lies in {@code outer}. */
    public static boolean contains(String outer, String inner) {
        Block o = parse(outer);
        Block i = parse(inner);
        if (o == null || i == null || o.bits() != i.bits() || i.prefix() < o.prefix()) {
            return false;
        }
        int shift = o.bits() - o.prefix();
        return o.address().shiftRight(shift).equals(i.address().shiftRight(shift));
    }

    private record Block(BigInteger address, int prefix, int bits) {}

    private static Block parse(String cidr) {
        if (cidr == null) {
            return null;
        }
        int slash = cidr.indexOf('/');
        String host = slash < 0 ? cidr : cidr.substring(0, slash);
        if (!host.matches("[0-9a-fA-F.:]+")) {
            return null;
        }
        try {
            byte[] bytes = InetAddress.getByName(host).getAddress();
            int bits = bytes.length * 8;
            int prefix = slash < 0 ? bits : Integer.parseInt(cidr.substring(slash + 1));
            return prefix < 0 || prefix > bits ? null : new Block(new BigInteger(1, bytes), prefix, bits);
        } catch (UnknownHostException | NumberFormatException e) {
            return null;
        }
    }
}
