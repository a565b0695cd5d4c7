// A real trellis-relay process for the sync stories: started on a free loopback port with a
// fresh data directory and a known signup secret, stopped (and its data removed) on close().
import java.io.File
import java.nio.file.Files
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread

class Relay private constructor(
    val url: String,
    private val process: Process,
    private val dataDir: File,
    private val log: File,
) : AutoCloseable {

    companion object {
        const val SIGNUP_SECRET = "kotlin-bindings-test-secret"
        private const val EOF = "\u0000eof"

        /** Starts target/debug/trellis-relay (or $TRELLIS_RELAY) and waits for its address. */
        fun start(): Relay {
            val bin = File(System.getenv("TRELLIS_RELAY") ?: "target/debug/trellis-relay")
            check(bin.canExecute()) { "no relay binary at $bin: build it with cargo build -p trellis-relay" }
            val data = Files.createTempDirectory("trellis-relay-kt").toFile()
            val log = File(data.parentFile, "${data.name}.log")
            val process = ProcessBuilder(
                bin.path, "--listen", "127.0.0.1:0", "--data", data.path,
                "--signup-secret", SIGNUP_SECRET,
            ).redirectError(log).start()
            val lines = LinkedBlockingQueue<String>()
            // Keep draining stdout so the relay never blocks on a full pipe.
            thread(isDaemon = true, name = "relay-stdout") {
                process.inputStream.bufferedReader().forEachLine { lines.put(it) }
                lines.put(EOF)
            }
            val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
            while (true) {
                val line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)
                if (line == null || line == EOF) {
                    process.destroyForcibly()
                    val why = if (line == null) "did not report its address within 30 s" else "exited"
                    error("the relay $why; its log:\n${log.takeIf { it.exists() }?.readText()}")
                }
                val m = Regex("listening on (http://\\S+)").find(line)
                if (m != null) return Relay(m.groupValues[1], process, data, log)
            }
        }
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
        dataDir.deleteRecursively()
        log.delete()
    }
}
