// Reads an Avro object container file with Java's Avro (Debian's libavro-java: the DataFileReader
// that Flume, Hadoop tools and avro-tools use) and prints what it holds, for the HDFS writer
// tests:
//
//   java -cp /usr/share/java/avro.jar:/usr/share/java/jackson-core-asl.jar:\
//       /usr/share/java/jackson-mapper-asl.jar:/usr/share/java/slf4j-api.jar \
//       AvroContainerDump.java FILE
//
// Output, one item per line, tab-separated, bytes in hex so that nothing needs escaping:
//   codec <avro.codec>
//   schema <the writer's schema as Java prints it: Schema.toString()>
//   record <hex(key)>=<hex(value)>,... <hex(body)>
// Exit 1 with the exception on stderr when the file does not read to its end.
// (Debian 12's libavro-java is Avro 1.8.2, which predates the zstandard codec.)
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;

public class AvroContainerDump {
  static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte b : bytes) sb.append(String.format("%02x", b & 0xff));
    return sb.toString();
  }

  public static void main(String[] args) throws Exception {
    try (DataFileReader<GenericRecord> reader =
             new DataFileReader<>(new File(args[0]), new GenericDatumReader<GenericRecord>())) {
      System.out.println("codec\t" + reader.getMetaString("avro.codec"));
      System.out.println("schema\t" + reader.getSchema().toString());
      try {
        for (GenericRecord record : reader) {
          StringBuilder line = new StringBuilder("record\t");
          @SuppressWarnings("unchecked")
          Map<Object, Object> headers = (Map<Object, Object>) record.get("headers");
          boolean first = true;
          for (Map.Entry<Object, Object> e : headers.entrySet()) {
            if (!first) line.append(',');
            first = false;
            line.append(hex(e.getKey().toString().getBytes(StandardCharsets.UTF_8))).append('=')
                .append(hex(e.getValue().toString().getBytes(StandardCharsets.UTF_8)));
          }
          ByteBuffer body = (ByteBuffer) record.get("body");
          byte[] bytes = new byte[body.remaining()];
          body.get(bytes);
          line.append('\t').append(hex(bytes));
          System.out.println(line);
        }
      } catch (Exception e) {
        System.out.flush();
        System.err.println(e);
        System.exit(1);
      }
    }
  }
}
