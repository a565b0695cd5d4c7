// Reading an invite's QR code with the camera, where the browser has a QR detector
// (BarcodeDetector: Chrome and Edge on Android, macOS and ChromeOS). Elsewhere the button is
// not shown and the code is pasted.

import { useEffect, useRef, useState } from 'preact/hooks';

export function ScanButton({ onCode }) {
  const [open, setOpen] = useState(false);
  if (typeof BarcodeDetector === 'undefined' || !navigator.mediaDevices?.getUserMedia) return null;
  return (
    <>
      <button type="button" class="secondary" onClick={() => setOpen(true)}>
        Scan QR code
      </button>
      {open && (
        <Scanner
          onCode={(c) => {
            setOpen(false);
            onCode(c);
          }}
          onClose={() => setOpen(false)}
        />
      )}
    </>
  );
}

function Scanner({ onCode, onClose }) {
  const video = useRef(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let stream = null;
    let stop = false;
    (async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
        video.current.srcObject = stream;
        await video.current.play();
        const detector = new BarcodeDetector({ formats: ['qr_code'] });
        while (!stop) {
          const found = await detector.detect(video.current);
          if (found.length) return onCode(found[0].rawValue);
          await new Promise((r) => setTimeout(r, 250));
        }
      } catch (e) {
        setError(e.message ?? String(e));
      }
    })();
    return () => {
      stop = true;
      stream?.getTracks().forEach((t) => t.stop());
    };
  }, []);
  return (
    <div class="scanner" role="dialog" aria-label="Scan an invite's QR code">
      <video ref={video} muted playsInline aria-hidden="true" />
      {error && <p role="alert">{error}</p>}
      <button type="button" onClick={onClose}>
        Cancel scanning
      </button>
    </div>
  );
}
