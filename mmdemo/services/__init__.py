"""What the app does, independent of how it is shown: the gallery and its searches, adding
images, captioning the gallery, sentiment fusion, the status report, and ``tasks`` - one
function per task that the UI, the CLI and the tests all call. Imports no gradio."""
