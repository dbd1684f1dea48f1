package ssmreach.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The one table bench/run prints: each figure, its baseline, the ratio, the target and whether it is met. */
final class Table {
    private static final String[] HEADER = {"Figure", "Measured", "Baseline", "Ratio", "Target", "Met", "Note"};

    private Table() {}

    static String render(JsonNode r) {
        List<String[]> rows = new ArrayList<>();
        JsonNode cold = r.path("coldStart");
        for (JsonNode f : cold.path("functions")) {
            double ratio = f.path("ratio").asDouble();
            rows.add(row("cold start " + f.path("function").asText(), f.path("oursMs").asLong() + " ms",
                    f.path("naiveMs").asLong() + " ms naive", fmt(ratio), "<= 0.60", ratio <= 0.6,
                    "floor " + f.path("floorMs").asLong() + " ms; no flags " + f.path("oursNoFlagsMs").asLong() + " ms"
                            + (f.has("beforeMs") ? "; before " + f.path("beforeMs").asLong() + " ms (" + fmt(f.path("toBeforeRatio").asDouble())
                            + ")" : "")));
        }
        rows.add(row("cold start, all functions", "", "", fmt(cold.path("ratioOfTotals").asDouble()), "<= 0.60",
                cold.path("ratioOfTotals").asDouble() <= 0.6, "median of " + cold.path("runsPerVariant").asInt()
                        + " JVMs each; floor " + cold.path("floorMs").asLong() + " ms"));
        JsonNode restored = r.path("restoredPath");
        for (JsonNode f : restored.path("functions")) {
            String function = f.path("function").asText();
            double toUnprimed = f.path("primedToUnprimed").asDouble();
            double toWarm = f.path("primedToWarm").asDouble();
            rows.add(row("restored path " + function, fmt1(f.path("firstPrimedMs").asDouble()) + " ms",
                    fmt1(f.path("firstUnprimedMs").asDouble()) + " ms unprimed", fmt(toUnprimed), "<= 0.25", toUnprimed <= 0.25,
                    "first invocation after constructor + priming; constructor " + fmt1(f.path("constructMs").asDouble())
                            + " ms, priming " + fmt1(f.path("primeMs").asDouble()) + " ms"));
            rows.add(row("restored path " + function + " vs warm", fmt1(f.path("firstPrimedMs").asDouble()) + " ms",
                    fmt1(f.path("warmMs").asDouble()) + " ms warm", fmt(toWarm), "<= 2", toWarm <= 2.0,
                    "priming removes " + Math.round(100 * f.path("firstCallOverheadRemoved").asDouble())
                            + " % of the first call's extra cost; restored cold start: this + SnapStart's restore (not measured)"));
        }
        if (!restored.isMissingNode()) {
            rows.add(row("restored path, all functions", "", "", "", "", null, "median of " + restored.path("runsPerMode").asInt()
                    + " JVMs per mode, " + restored.path("warmInvocationsPerJvm").asInt() + " warm invocations each"));
        }
        for (JsonNode s : r.path("scenarios")) {
            double ratio = s.path("ratio").asDouble();
            rows.add(row("calls " + s.path("name").asText(), String.valueOf(s.path("calls").asInt()),
                    s.path("minimum").asInt() + " minimum", fmt(ratio), "<= 1.20", ratio <= 1.2,
                    s.path("outcome").asText() + "; " + s.path("mutatingCalls").asInt() + " mutating"
                            + (s.path("extra").isEmpty() ? "" : "; extra " + join(s.path("extra")))));
        }
        Double perSubnet = null;
        for (JsonNode s : r.path("scaling")) {
            boolean first = !s.has("callsPerFurtherSubnet");
            if (!first && perSubnet == null) {
                perSubnet = s.path("callsPerFurtherSubnet").asDouble();
            }
            rows.add(row("calls, one VPC, " + s.path("subnets").asInt() + " subnets", String.valueOf(s.path("calls").asInt()),
                    s.path("minimum").asInt() + " minimum", fmt(s.path("ratio").asDouble()),
                    first ? "" : "constant/subnet", first ? null : Math.abs(s.path("callsPerFurtherSubnet").asDouble() - perSubnet) <= 0.5,
                    first ? s.path("status").asText() : "+" + fmt(s.path("callsPerFurtherSubnet").asDouble()) + " per further subnet"));
        }
        transitions(rows, r.path("transitions"));
        burst(rows, r.path("burst"));
        JsonNode p = r.path("package");
        rows.add(row("package zipped (each function)", fmt(p.path("ours").path("zippedMB").asDouble()) + " MB",
                fmt(p.path("naive").path("zippedMB").asDouble()) + " MB naive", fmt(p.path("ratio").asDouble()), "<= 40 MB",
                p.path("ours").path("zippedBytes").asLong() <= p.path("targetZippedBytes").asLong(),
                "decimal MB; unzipped " + fmt(p.path("ours").path("unzippedMB").asDouble()) + " MB, " + p.path("ours").path("jars").asInt()
                        + " jars"));

        int[] widths = new int[HEADER.length];
        List<String[]> all = new ArrayList<>();
        all.add(HEADER);
        all.addAll(rows);
        for (String[] row : all) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int n = 0; n < all.size(); n++) {
            String[] row = all.get(n);
            for (int i = 0; i < row.length; i++) {
                out.append(i == 0 ? "" : "  ").append(i == row.length - 1 ? row[i] : pad(row[i], widths[i]));
            }
            out.append('\n');
            if (n == 0) {
                for (int i = 0; i < widths.length; i++) {
                    out.append(i == 0 ? "" : "  ").append("-".repeat(i == widths.length - 1 ? 4 : widths[i]));
                }
                out.append('\n');
            }
        }
        return out.toString();
    }

    /** The state transitions rows; none when the run measured none (--cold-only). */
    private static void transitions(List<String[]> rows, JsonNode t) {
        if (t.isMissingNode()) {
            return;
        }
        t.path("happyPathPerScenario").fields().forEachRemaining(e -> rows.add(row("transitions " + e.getKey(),
                String.valueOf(e.getValue().asInt()), "", "", "", null, "happy path, waits excluded")));
        rows.add(row("transitions per endpoint wait", String.valueOf(t.path("perEndpointWaitIteration").asInt()), "", "", "", null, ""));
        rows.add(row("transitions per registration wait", String.valueOf(t.path("perRegistrationWaitIteration").asInt()), "", "", "", null, ""));
        rows.add(row("Standard cost / 1,000 remediations", "$" + fmt(t.path("costPer1000RemediationsUsd").asDouble()), "", "", "", null,
                "$" + fmt(t.path("costPer1000RemediationsWithTypicalWaitsUsd").asDouble()) + " with "
                        + t.path("typicalEndpointWaitIterations").asInt() + " endpoint waits"));
    }

    /** The burst rows; none when the run measured none (--cold-only). */
    private static void burst(List<String[]> rows, JsonNode b) {
        if (b.isMissingNode()) {
            return;
        }
        rows.add(row("burst wall time", fmt(b.path("wallSeconds").asDouble()) + " s", "", "", "", null,
                b.path("subnets").asInt() + " subnets, " + b.path("vpcs").asInt() + " VPCs, " + b.path("concurrentExecutions").asInt() + " at a time"));
        rows.add(row("burst calls", String.valueOf(b.path("totalCalls").asInt()), "", "", "", null,
                fmt(b.path("callsPerSubnet").asDouble()) + " per subnet"));
        rows.add(row("burst duplicates", String.valueOf(b.path("duplicates").asInt()), "", "", "0", b.path("duplicates").asInt() == 0,
                "missing " + b.path("missingEndpoints").asInt() + ", zones uncovered " + b.path("uncoveredZones").asInt()));
        rows.add(row("burst failures", String.valueOf(b.path("failures").asInt()), "", "", "0", b.path("failures").asInt() == 0,
                b.path("outcomes").toString()));
    }

    private static String[] row(String figure, String measured, String baseline, String ratio, String target, Boolean met, String note) {
        return new String[] {figure, measured, baseline, ratio, target, met == null ? "" : met ? "yes" : "NO", note};
    }

    private static String join(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return String.join(",", values);
    }

    /** One decimal: first invocations can be a few milliseconds. */
    static String fmt1(double value) {
        return value >= 100 ? String.valueOf(Math.round(value)) : String.format(Locale.ROOT, "%.1f", value);
    }

    static String fmt(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e6 ? String.valueOf((long) value) : String.format(Locale.ROOT, "%.2f", value);
    }

    private static String pad(String value, int width) {
        return value + " ".repeat(width - value.length());
    }
}
