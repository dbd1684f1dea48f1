package ssmreach.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * results.png: cold start per function (ours, naive, floor), calls per scenario (ours, minimum),
 * and the restored path's first invocation per function (unprimed, primed, warm). Plain Java2D.
 */
final class Plot {
    private static final Color OURS = new Color(0x1f77b4);
    private static final Color BASELINE = new Color(0xff7f0e);
    private static final Color MINIMUM = new Color(0x9e9e9e);
    private static final Color FLOOR = new Color(0x2ca02c);

    private Plot() {}

    static void write(JsonNode results, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int width = 1500;
        JsonNode restored = results.path("restoredPath").path("functions");
        int height = restored.isEmpty() ? 700 : 1340;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);

        List<String> functions = new ArrayList<>();
        List<double[]> cold = new ArrayList<>();
        for (JsonNode f : results.path("coldStart").path("functions")) {
            functions.add(f.path("function").asText());
            cold.add(new double[] {f.path("oursMs").asDouble(), f.path("naiveMs").asDouble()});
        }
        double floor = results.path("coldStart").path("floorMs").asDouble();
        bars(g, 60, 60, 820, 520, "Cold start: JVM start to first response (ms, median)", functions, cold,
                new Color[] {OURS, BASELINE}, new String[] {"ours (url-connection, explicit config, C1 flag)", "naive (discovery, Apache 5 + Netty, no flags)"},
                floor, "floor: do-nothing handler " + Math.round(floor) + " ms");

        List<String> scenarios = new ArrayList<>();
        List<double[]> calls = new ArrayList<>();
        for (JsonNode s : results.path("scenarios")) {
            scenarios.add(s.path("name").asText());
            calls.add(new double[] {s.path("calls").asDouble(), s.path("minimum").asDouble()});
        }
        for (JsonNode s : results.path("scaling")) {
            scenarios.add("VPC, " + s.path("subnets").asInt() + " subnets");
            calls.add(new double[] {s.path("calls").asDouble(), s.path("minimum").asDouble()});
        }
        bars(g, 950, 60, 460, 520, "AWS API calls per execution", scenarios, calls, new Color[] {OURS, MINIMUM},
                new String[] {"ours", "minimum (BENCHMARKS.md)"}, Double.NaN, null);
        if (!restored.isEmpty()) {
            List<String> names = new ArrayList<>();
            List<double[]> firsts = new ArrayList<>();
            for (JsonNode f : restored) {
                names.add(f.path("function").asText());
                firsts.add(new double[] {f.path("firstUnprimedMs").asDouble(), f.path("firstPrimedMs").asDouble(),
                        f.path("warmMs").asDouble()});
            }
            bars(g, 60, 730, 1350, 480, "Restored path, local proxy: first invocation after the constructor (ms, median)", names, firsts,
                    new Color[] {BASELINE, OURS, MINIMUM}, new String[] {"unprimed", "after the priming hook", "warm"}, Double.NaN, null);
        }
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("ssm-reach bench/run, " + results.path("machine").path("cores").asInt() + " cores, "
                + results.path("finishedAt").asText(""), 60, height - 15);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private static void bars(Graphics2D g, int x, int y, int w, int h, String title, List<String> labels, List<double[]> values,
            Color[] colors, String[] legend, double line, String lineLabel) {
        double max = 0;
        for (double[] v : values) {
            for (double d : v) {
                if (!Double.isNaN(d)) {
                    max = Math.max(max, d);
                }
            }
        }
        max = niceCeiling(Math.max(max, Double.isNaN(line) ? 0 : line) * 1.1);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.setColor(Color.BLACK);
        g.drawString(title, x, y - 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics metrics = g.getFontMetrics();
        // legend
        int lx = x;
        for (int i = 0; i < legend.length; i++) {
            g.setColor(colors[i]);
            g.fillRect(lx, y - 18, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(legend[i], lx + 16, y - 8);
            lx += 16 + metrics.stringWidth(legend[i]) + 20;
        }
        // axes and grid
        int ticks = 5;
        for (int i = 0; i <= ticks; i++) {
            double value = max * i / ticks;
            int gy = y + h - (int) Math.round(h * value / max);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(x, gy, x + w, gy);
            g.setColor(Color.DARK_GRAY);
            String text = Table.fmt(Math.round(value));
            g.drawString(text, x - 6 - metrics.stringWidth(text), gy + 4);
        }
        g.setColor(Color.BLACK);
        g.drawLine(x, y, x, y + h);
        g.drawLine(x, y + h, x + w, y + h);
        int groups = labels.size();
        if (groups == 0) {
            return;
        }
        double groupWidth = (double) w / groups;
        int series = values.getFirst().length;
        double barWidth = groupWidth * 0.8 / series;
        for (int i = 0; i < groups; i++) {
            double gx = x + i * groupWidth + groupWidth * 0.1;
            for (int s = 0; s < series; s++) {
                double v = values.get(i)[s];
                if (Double.isNaN(v)) {
                    continue;
                }
                int bh = (int) Math.round(h * v / max);
                int bx = (int) Math.round(gx + s * barWidth);
                g.setColor(colors[s]);
                g.fillRect(bx, y + h - bh, (int) Math.max(1, barWidth - 2), bh);
                g.setColor(Color.BLACK);
                String text = Table.fmt(Math.round(v));
                int tw = metrics.stringWidth(text);
                if (tw < barWidth + 6) {
                    g.drawString(text, bx + (int) (barWidth - 2 - tw) / 2, y + h - bh - 3);
                }
            }
            // rotated label
            AffineTransform saved = g.getTransform();
            g.translate(gx + groupWidth * 0.4 + 4, y + h + 8);
            g.rotate(Math.toRadians(35));
            g.setColor(Color.BLACK);
            g.drawString(labels.get(i), 0, 0);
            g.setTransform(saved);
        }
        if (!Double.isNaN(line)) {
            int ly = y + h - (int) Math.round(h * line / max);
            g.setColor(FLOOR);
            g.setStroke(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f));
            g.drawLine(x, ly, x + w, ly);
            g.setStroke(new BasicStroke(1f));
            g.setColor(Color.WHITE);
            g.fillRect(x + 4, ly - 16, metrics.stringWidth(lineLabel) + 4, 13);
            g.setColor(FLOOR);
            g.drawString(lineLabel, x + 6, ly - 5);
        }
    }

    private static double niceCeiling(double value) {
        if (value <= 0) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            if (step * magnitude >= value) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }
}
