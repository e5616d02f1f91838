export default function UsagePage() {
  return <h1 className="text-2xl font-semibold">Usage</h1>;
}
