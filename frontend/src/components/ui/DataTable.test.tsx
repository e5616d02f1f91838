import { createColumnHelper, type RowSelectionState } from "@tanstack/react-table";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

import { DataTable } from "./DataTable";

interface Row {
  id: string;
  name: string;
  locked: boolean;
}

const column = createColumnHelper<Row>();
const ROWS: Row[] = [
  { id: "a", name: "Alpha", locked: false },
  { id: "b", name: "Beta", locked: true },
];

describe("DataTable", () => {
  it("renders a named table with column headers and one row per item", () => {
    const columns = [column.accessor("name", { header: "Name" })];
    render(<DataTable label="Things" data={ROWS} columns={columns} getRowId={(r) => r.id} widths={{ name: "w-1/2" }} />);
    const table = screen.getByRole("table", { name: "Things" });
    expect(within(table).getByRole("columnheader", { name: "Name" })).toHaveClass("w-1/2");
    expect(within(table).getAllByRole("row")).toHaveLength(3);
  });

  it("answers a click on a row, but not a click on a control inside it", async () => {
    const user = userEvent.setup();
    const onRowClick = vi.fn();
    const onButton = vi.fn();
    const columns = [
      column.accessor("name", { header: "Name" }),
      column.display({ id: "act", header: "Act", cell: ({ row }) => <button onClick={onButton}>Act on {row.original.name}</button> }),
    ];
    render(<DataTable label="Things" data={ROWS} columns={columns} getRowId={(r) => r.id} onRowClick={onRowClick} />);
    await user.click(screen.getByRole("cell", { name: "Alpha" }));
    expect(onRowClick).toHaveBeenCalledWith(ROWS[0]);
    await user.click(screen.getByRole("button", { name: "Act on Beta" }));
    expect(onButton).toHaveBeenCalledTimes(1);
    expect(onRowClick).toHaveBeenCalledTimes(1);
  });

  it("selects only the rows that may be selected", async () => {
    const user = userEvent.setup();
    function Selectable() {
      const [selection, setSelection] = useState<RowSelectionState>({});
      const columns = [
        column.display({
          id: "select",
          header: ({ table }) => (
            <input type="checkbox" aria-label="Select all" checked={table.getIsAllRowsSelected()} onChange={table.getToggleAllRowsSelectedHandler()} />
          ),
          cell: ({ row }) => (
            <input
              type="checkbox"
              aria-label={`Select ${row.original.name}`}
              checked={row.getIsSelected()}
              disabled={!row.getCanSelect()}
              onChange={row.getToggleSelectedHandler()}
            />
          ),
        }),
        column.accessor("name", { header: "Name" }),
      ];
      return (
        <>
          <DataTable
            label="Things"
            data={ROWS}
            columns={columns}
            getRowId={(r) => r.id}
            selection={{ state: selection, onChange: setSelection, canSelect: (r) => !r.locked }}
          />
          <output>{Object.keys(selection).join(",")}</output>
        </>
      );
    }
    render(<Selectable />);
    expect(screen.getByRole("checkbox", { name: "Select Beta" })).toBeDisabled();
    await user.click(screen.getByRole("checkbox", { name: "Select all" }));
    expect(screen.getByRole("status")).toHaveTextContent(/^a$/);
  });
});
