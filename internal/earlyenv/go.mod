module a.localhost/earlyenv

go 1.26
