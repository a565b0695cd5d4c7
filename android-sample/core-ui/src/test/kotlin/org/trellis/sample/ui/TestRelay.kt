package org.trellis.sample.ui

import java.io.File
import java.nio.file.Files
import java.util.concurrent.TimeUnit

/**
 * A real trellis-relay process for the tests that share a practice: $TRELLIS_RELAY (or the
 * workspace's target/debug/trellis-relay) on a free loopback port with a fresh data folder.
 */
class TestRelay private constructor(val url: String, private val process: Process, private val data: File) : AutoCloseable {
    companion object {
        const val SECRET = "core-ui-test-secret"

        /** The relay binary, or null when it was not built (the tests that need it are skipped). */
        fun binary(): File? = listOfNotNull(System.getenv("TRELLIS_RELAY"), "../../target/debug/trellis-relay", "target/debug/trellis-relay")
            .map(::File).firstOrNull { it.canExecute() }

        fun start(bin: File): TestRelay {
            val data = Files.createTempDirectory("core-ui-relay").toFile()
            val process = ProcessBuilder(bin.path, "--listen", "127.0.0.1:0", "--data", data.path, "--signup-secret", SECRET)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start()
            val reader = process.inputStream.bufferedReader()
            val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
            while (System.nanoTime() < deadline) {
                val line = reader.readLine() ?: break
                val m = Regex("listening on (http://\\S+)").find(line) ?: continue
                Thread { reader.forEachLine { } }.apply { isDaemon = true }.start()
                return TestRelay(m.groupValues[1], process, data)
            }
            process.destroyForcibly()
            error("the relay at $bin did not report its address")
        }
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
        data.deleteRecursively()
    }
}
